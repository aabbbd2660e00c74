package dev.coemesh.k8s.expert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in CRD is exactly what fabric8's crd-generator makes of the {@link Expert} types, so
 * neither can change without the other. After changing the types, rewrite it with {@code ./mvnw -o
 * test -pl k8s -am -Dtest=ExpertCrdTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dcoemesh.crd.write=true}.
 */
class ExpertCrdTest {
  static final Path CHECKED_IN = Path.of("base/crd/experts.coemesh.dev-v1.yml");

  @Test
  void checkedInCrdIsWhatTheTypesGenerate(@TempDir Path out) throws IOException {
    new CRDGenerator()
        .inOutputDir(out.toFile())
        .forCRDVersions("v1")
        .customResourceClasses(Expert.class)
        .generate();
    String generated = Files.readString(out.resolve(CHECKED_IN.getFileName()));
    if (Boolean.getBoolean("coemesh.crd.write")) {
      Files.writeString(CHECKED_IN, generated);
    }
    assertEquals(
        generated,
        Files.readString(CHECKED_IN),
        CHECKED_IN + " differs from the types; rewrite it with -Dcoemesh.crd.write=true");
  }
}
