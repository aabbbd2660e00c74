package dev.coemesh.gateway.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A small node project of the tests (a package.json with pinned versions and its scripts), copied
 * from src/test into target/ and installed there with npm at test time, so that no node_modules is
 * ever committed. Browsers are never downloaded: scripts use the system's chromium.
 */
public record NodeProject(Path sources, Path work) {

  /** The output and exit code of one command. */
  public record Result(int code, String output) {}

  /** Whether node and npm can run here (tests that need them skip otherwise). */
  public static boolean available() {
    return runs("node", "--version") && runs("npm", "--version");
  }

  /** Whether {@code command} runs and exits 0 within 30 s. */
  public static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /**
   * Copies {@code files} into the work folder and runs {@code npm install} unless {@code module} is
   * installed there already.
   */
  public Result install(List<String> files, String module)
      throws IOException, InterruptedException {
    Files.createDirectories(work);
    for (String f : files) {
      Files.copy(sources.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (Files.isDirectory(work.resolve("node_modules").resolve(module))) {
      return new Result(0, module + " is installed");
    }
    return run(
        Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
        300,
        "npm",
        "install",
        "--no-audit",
        "--no-fund");
  }

  /** A process in the work folder, stdout and stderr together, not started. */
  public ProcessBuilder process(Map<String, String> env, String... command) {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    return pb;
  }

  /** Runs {@code command} in the work folder to its end, or kills it after the timeout. */
  public Result run(Map<String, String> env, int timeoutSeconds, String... command)
      throws IOException, InterruptedException {
    Process p = process(env, command).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out\n" + new String(out, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
