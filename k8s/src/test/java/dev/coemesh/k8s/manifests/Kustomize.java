package dev.coemesh.k8s.manifests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with {@code kubectl kustomize} (offline: it reads only the files). The
 * tests need kubectl; without it they fail saying so rather than skip, so that an unchecked
 * manifest never passes as a checked one.
 */
final class Kustomize {
  private Kustomize() {}

  /** {@code $KUBECTL}, else {@code /usr/bin/kubectl}, else kubectl on the PATH. */
  static String kubectl() {
    String configured = System.getenv("KUBECTL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    if (Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      return "/usr/bin/kubectl";
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        return Path.of(dir, "kubectl").toString();
      }
    }
    throw new AssertionError(
        "kubectl not found (KUBECTL, /usr/bin/kubectl, PATH): the k8s module's tests render the"
            + " manifests with `kubectl kustomize`; install kubectl 1.32 or newer, or set KUBECTL");
  }

  /** The multi-document YAML that {@code dir} renders to. */
  static String render(Path dir) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(kubectl(), "kustomize", dir.toString())
            .redirectErrorStream(false)
            .start();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError("kubectl kustomize " + dir + " failed: " + err);
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
