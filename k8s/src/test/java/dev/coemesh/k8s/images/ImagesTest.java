package dev.coemesh.k8s.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.k8s.manifests.ManifestsAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each app's image definition, checked without a daemon (none runs here, and no registry is
 * reachable): a JRE 25 base, a non-root numeric user, the mesh's JVM flags in an exec-form
 * entrypoint, only build output copied in (no model files), and the ports the manifests use.
 */
class ImagesTest {
  static final Path IMAGES = Path.of("images");

  private static Dockerfile dockerfile(String app) throws Exception {
    return Dockerfile.read(IMAGES.resolve(app).resolve("Dockerfile"));
  }

  /** The flags the root pom gives every test JVM ({@code mesh.jvm.args}), as ./mesh does. */
  private static List<String> meshJvmFlags() throws Exception {
    Matcher m =
        Pattern.compile("<mesh.jvm.args>([^<]+)</mesh.jvm.args>")
            .matcher(Files.readString(Path.of("../pom.xml")));
    assertTrue(m.find());
    return Arrays.asList(m.group(1).strip().split("\\s+"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "router-service", "worker", "operator"})
  void baseIsAJre25(String app) throws Exception {
    List<String> from = dockerfile(app).all("FROM");
    assertEquals(1, from.size(), "one stage: the apps are built by Maven, not in the image");
    assertTrue(from.get(0).matches("eclipse-temurin:25(\\.[0-9._+]+)?-jre(-[a-z]+)?"), from.get(0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "router-service", "worker", "operator"})
  void runsAsANonRootNumericUser(String app) throws Exception {
    Dockerfile file = dockerfile(app);
    // numeric, so that the kubelet can enforce runAsNonRoot without reading /etc/passwd
    Matcher user = Pattern.compile("([0-9]+)(:[0-9]+)?").matcher(file.last("USER"));
    assertTrue(user.matches(), file.last("USER"));
    assertFalse(user.group(1).equals("0"));
    List<String> keywords =
        file.instructions().stream().map(Dockerfile.Instruction::keyword).toList();
    List<String> afterUser = keywords.subList(keywords.lastIndexOf("USER"), keywords.size());
    assertTrue(
        afterUser.stream().noneMatch(Set.of("RUN", "COPY", "ADD")::contains),
        "nothing runs or is copied after USER: " + afterUser);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "router-service", "worker", "operator"})
  void entrypointStartsJavaWithTheMeshFlags(String app) throws Exception {
    List<String> entrypoint =
        List.of(new JsonMapper().readValue(dockerfile(app).last("ENTRYPOINT"), String[].class));
    assertEquals("java", entrypoint.get(0), "exec form, so that java is PID 1 and gets SIGTERM");
    assertEquals(meshJvmFlags(), entrypoint.subList(1, 1 + meshJvmFlags().size()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "router-service", "worker", "operator"})
  void copiesOnlyBuildOutputAndNoModel(String app) throws Exception {
    Dockerfile file = dockerfile(app);
    assertTrue(file.all("ADD").isEmpty(), "no ADD: nothing fetched or unpacked at build time");
    String module = app.equals("worker") ? "worker-grpc" : app;
    for (String copy : file.all("COPY")) {
      assertTrue(copy.startsWith(module + "/target/"), copy);
      assertFalse(copy.matches("(?i).*(\\.bin|\\.gguf|models).*"), copy);
    }
    assertTrue(
        Files.readString(IMAGES.resolve(app).resolve("Dockerfile.dockerignore"))
            .contains("!" + module + "/target/"));
  }

  /** Every coemesh image the overlays run has a definition here, exposing the ports they use. */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operator"})
  void everyMeshImageOfTheManifestsIsDefinedWithItsPorts(String overlay) throws Exception {
    for (var image : ManifestsAccess.meshImagePorts(overlay).entrySet()) {
      String app = image.getKey().substring("coemesh/".length(), image.getKey().indexOf(':'));
      Set<Integer> exposed = new TreeSet<>();
      for (String ports : dockerfile(app).all("EXPOSE")) {
        Arrays.stream(ports.split("\\s+")).map(Integer::valueOf).forEach(exposed::add);
      }
      assertEquals(image.getValue(), exposed, image.getKey());
    }
  }
}
