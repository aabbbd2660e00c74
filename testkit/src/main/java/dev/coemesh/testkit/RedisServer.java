package dev.coemesh.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free loopback port, for tests and local runs. Nothing is
 * persisted; {@link #stop()} and {@link #start()} may be called repeatedly to simulate an outage on
 * the same port.
 */
public final class RedisServer implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);

  private final Path binary;
  private final int port;
  private final Path workDir;
  private Process process;

  private RedisServer(Path binary, int port, Path workDir) {
    this.binary = binary;
    this.port = port;
    this.workDir = workDir;
  }

  /** Starts a server on a free port; fails with an install hint when no binary is found. */
  public static RedisServer startNew() {
    try {
      RedisServer server =
          new RedisServer(findBinary(), FreePorts.next(), Files.createTempDirectory("mesh-redis"));
      server.start();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare redis-server: " + e.getMessage(), e);
    }
  }

  /** The redis-server binary from {@code REDIS_SERVER}, the PATH or /usr/bin. */
  static Path findBinary() {
    String configured = System.getenv("REDIS_SERVER");
    if (configured != null && Files.isExecutable(Path.of(configured))) {
      return Path.of(configured);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    for (String fixed : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (Files.isExecutable(Path.of(fixed))) {
        return Path.of(fixed);
      }
    }
    throw new IllegalStateException(
        "redis-server not found: install it (Debian: sudo apt-get install -y redis-server) or set"
            + " REDIS_SERVER to its path");
  }

  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    try {
      process =
          new ProcessBuilder(
                  binary.toString(),
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  workDir.toString(),
                  "--protected-mode",
                  "yes")
              .redirectErrorStream(true)
              .redirectOutput(workDir.resolve("redis.log").toFile())
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
    }
    awaitPong();
  }

  /** Kills the server (SIGKILL): clients see an abrupt outage. */
  public synchronized void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  /** A {@code redis://} URI for Lettuce and Quarkus. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Sends a raw RESP command and returns the first reply line (for checks without a client). */
  public String command(String... args) {
    StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return readLine(socket.getInputStream());
    } catch (IOException e) {
      throw new IllegalStateException("redis command failed: " + e.getMessage(), e);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  private void awaitPong() {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited at start (see " + workDir.resolve("redis.log") + ")");
      }
      try {
        if ("+PONG".equals(command("PING"))) {
          return;
        }
      } catch (IllegalStateException notYet) {
        // not listening yet
      }
      sleep(20);
    }
    stop();
    throw new IllegalStateException("redis-server did not answer PING in " + STARTUP_TIMEOUT);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the server and removes its work folder (log and any dump). */
  @Override
  public void close() {
    stop();
    try (var files = Files.walk(workDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a leftover temp folder is harmless
    }
  }

  /** Free loopback ports, probed by binding. */
  static final class FreePorts {
    private FreePorts() {}

    static int next() {
      try (ServerSocket socket =
          new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
        return socket.getLocalPort();
      } catch (IOException e) {
        throw new IllegalStateException("no free port: " + e.getMessage(), e);
      }
    }
  }
}
