package dev.coemesh.observability;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Prometheus's {@code promtool} (Debian package {@code prometheus}). */
final class Promtool {
  private Promtool() {}

  record Result(int exit, String output) {}

  /** Skips the calling test, saying why, where promtool is not installed. */
  static Path require() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    assumeTrue(false, "promtool is not installed (apt-get install prometheus); rules not checked");
    throw new IllegalStateException("unreachable");
  }

  static Result run(Path workDir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(require().toString());
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("promtool " + String.join(" ", args) + " hung:\n" + out);
    }
    return new Result(p.exitValue(), out);
  }
}
