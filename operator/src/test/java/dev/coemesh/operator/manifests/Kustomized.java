package dev.coemesh.operator.manifests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A kustomization of the k8s module as {@code kubectl kustomize} renders it, parsed by fabric8. */
public final class Kustomized {
  private Kustomized() {}

  /** The objects {@code dir} renders to, in kubectl's order. */
  public static List<HasMetadata> render(Path dir) throws Exception {
    Process kubectl = new ProcessBuilder(kubectl(), "kustomize", dir.toString()).start();
    String yaml = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(kubectl.waitFor(60, TimeUnit.SECONDS) && kubectl.exitValue() == 0, err);
    KubernetesSerialization serialization = new KubernetesSerialization();
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : yaml.split("(?m)^---$")) {
      if (!document.isBlank() && serialization.unmarshal(document) instanceof HasMetadata o) {
        objects.add(o);
      }
    }
    return objects;
  }

  /** The one {@code type} named {@code name} among {@code objects}. */
  public static <T extends HasMetadata> T named(
      List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  /** As the k8s module's tests find it: $KUBECTL, /usr/bin/kubectl, else the PATH. */
  private static String kubectl() {
    String configured = System.getenv("KUBECTL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    return Files.isExecutable(Path.of("/usr/bin/kubectl")) ? "/usr/bin/kubectl" : "kubectl";
  }
}
