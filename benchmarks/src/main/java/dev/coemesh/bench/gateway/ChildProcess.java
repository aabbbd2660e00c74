package dev.coemesh.bench.gateway;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server the benchmark starts (nginx, Portkey, the packaged gateway): output to a log file,
 * readiness polled, stopped with SIGTERM then SIGKILL, and killed with the JVM if the benchmark
 * dies first.
 */
final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final Thread reaper;

  ChildProcess(String name, List<String> command, Map<String, String> env, Path log)
      throws IOException {
    this.name = name;
    this.log = log;
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    this.process = pb.start();
    this.reaper = new Thread(process::destroyForcibly);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** Polls {@code ready} every 100 ms; throws with the log's path if it is not ready in time. */
  void awaitReady(BooleanSupplier ready, long timeoutMs) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + process.exitValue() + "; see " + log);
      }
      if (ready.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " not ready within " + timeoutMs + " ms; see " + log);
  }

  /**
   * {@code java} with the launcher's flags (Vector API, native access, parallel GC), the models
   * folder this JVM uses, and {@code extraFlags}: the head of a mesh process's command line.
   */
  static List<String> meshJava(String... extraFlags) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseParallelGC"));
    cmd.addAll(List.of(extraFlags));
    String models = System.getProperty("mesh.models.dir");
    if (models != null) {
      cmd.add("-Dmesh.models.dir=" + models);
    }
    return cmd;
  }

  /**
   * The packaged gateway a benchmark runs: {@code configured} if given (its {@code --gateway-jar}),
   * else the build's {@code gateway/target/quarkus-app/quarkus-run.jar} under {@code root}.
   */
  static Path packagedGateway(Path root, String configured, String bench) {
    Path jar =
        configured != null
            ? Path.of(configured)
            : root.resolve("gateway/target/quarkus-app/quarkus-run.jar");
    if (!java.nio.file.Files.exists(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build the gateway (./mesh bench " + bench + " does)");
    }
    return jar;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static boolean listening(int port) {
    try (var s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The operating system's id of the process (for /proc and jcmd). */
  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    Runtime.getRuntime().removeShutdownHook(reaper);
  }
}
