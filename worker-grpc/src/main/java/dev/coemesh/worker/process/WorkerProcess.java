package dev.coemesh.worker.process;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.server.WorkerServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker as a separate JVM ({@link WorkerServer} on this JVM's classpath), as a deployment runs
 * it: its own heap, engine and store connection; killable with SIGKILL mid-request. Used by the
 * process tests and the disaggregation benchmark, which pins workers to cores with a {@code
 * taskset} prefix. The worker gets the mesh credential through its environment ({@value
 * MeshCredential#ENV}), and {@link #client()} presents it.
 */
public final class WorkerProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final String name;
  private final Process process;
  private final int port;
  private final int metricsPort;
  private final WorkerClient client;

  private WorkerProcess(
      String name,
      Process process,
      int port,
      int metricsPort,
      Duration callDeadline,
      MeshCredential credential) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.metricsPort = metricsPort;
    this.client = WorkerClient.connect("127.0.0.1", port, callDeadline, credential);
  }

  /** Starts a worker holding a fresh random credential of its own; see the full overload. */
  public static WorkerProcess start(
      String name,
      List<String> prefix,
      List<String> jvmFlags,
      List<String> args,
      Duration callDeadline) {
    return start(name, prefix, jvmFlags, args, callDeadline, MeshCredential.random());
  }

  /**
   * Starts a worker and waits until it serves.
   *
   * @param prefix command words before {@code java} (e.g. {@code taskset -c 0}), may be empty
   * @param jvmFlags extra JVM flags (heap, GC, processor count)
   * @param args {@link WorkerServer} arguments ({@code --role} and the rest; the port is chosen
   *     free)
   * @param callDeadline the deadline of each call made through {@link #client()}
   * @param credential the mesh credential the worker requires and {@link #client()} presents
   */
  public static WorkerProcess start(
      String name,
      List<String> prefix,
      List<String> jvmFlags,
      List<String> args,
      Duration callDeadline,
      MeshCredential credential) {
    List<String> command = command(prefix, jvmFlags, args);
    command.addAll(List.of("--port", "0"));
    Process process;
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      credential.exportTo(builder.environment());
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
    }
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuffer early = new StringBuffer();
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    AtomicInteger metricsPort = new AtomicInteger(-1);
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith("METRICS ")) {
                    metricsPort.set(Integer.parseInt(line.substring(8).trim()));
                  } else if (line.startsWith("LISTENING ")) {
                    listening.complete(Integer.parseInt(line.substring(10).trim()));
                  } else if (!listening.isDone()) {
                    early.append(line).append('\n');
                  }
                }
              } catch (IOException ignored) {
                // the process ended
              }
              listening.completeExceptionally(
                  new IllegalStateException(name + " exited before listening:\n" + early));
            });
    try {
      int port = listening.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return new WorkerProcess(name, process, port, metricsPort.get(), callDeadline, credential);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " did not start: " + e.getMessage(), e);
    }
  }

  /**
   * The command line of a {@link WorkerServer} on this JVM's classpath, finding the shared models
   * where this JVM does.
   */
  static List<String> command(List<String> prefix, List<String> jvmFlags, List<String> args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
    String models = System.getProperty(SharedModels.PROPERTY);
    if (models != null && !models.isBlank()) {
      command.add("-D" + SharedModels.PROPERTY + "=" + models);
    }
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.add(WorkerServer.class.getName());
    command.addAll(args);
    return command;
  }

  public int port() {
    return port;
  }

  /**
   * The port of its Prometheus endpoint ({@code /q/metrics}), printed before it listens when
   * started with {@code --metrics-port}; -1 without.
   */
  public int metricsPort() {
    return metricsPort;
  }

  /**
   * Its HTTP port (metrics, health, the OpenAI API), started with {@code --http-port} or {@code
   * --metrics-port}; -1 without. The same port as {@link #metricsPort()}.
   */
  public int httpPort() {
    return metricsPort;
  }

  public WorkerClient client() {
    return client;
  }

  /**
   * SIGTERM, without waiting: the worker stops as a deleted pod's does (its shutdown hook, and the
   * drain of {@code --drain-s}).
   */
  public void terminate() {
    process.destroy();
  }

  /** The exit status once the process has ended, or -1 if it still runs after {@code timeout}. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** SIGKILL: the replica vanishes mid-request, as a crashed pod would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    client.close();
    try {
      process.getOutputStream().close(); // the worker exits when its stdin closes
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return name + "@" + port;
  }
}
