package dev.coemesh.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node KRaft Kafka broker (combined broker and controller) in a process of its own,
 * on fixed loopback ports and a log directory that outlive it: {@link #stop()} ends the process as
 * an outage would, {@link #start()} brings the same broker back with its topics and consumer
 * offsets, so tests can show that clients ride out a broker outage. Runs {@code kafka.Kafka} from
 * this JVM's classpath (the broker jars that {@link KafkaBroker} also uses).
 */
public final class KafkaProcess implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 60_000;

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private Process process;

  private KafkaProcess(Path dir, int port, int controllerPort) {
    this.dir = dir;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /** Formats a fresh broker on free ports and starts it. */
  public static KafkaProcess startNew() {
    try {
      Path dir = Files.createTempDirectory("coemesh-kafka");
      KafkaProcess kafka = new KafkaProcess(dir, freePort(), freePort());
      Files.writeString(dir.resolve("server.properties"), kafka.properties());
      run(
          kafka.java(
              "kafka.tools.StorageTool",
              "format",
              "-t",
              randomClusterId(),
              "-c",
              dir.resolve("server.properties").toString()),
          dir.resolve("format.log"));
      kafka.start();
      return kafka;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a Kafka broker process: " + e, e);
    }
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts (or restarts) the broker and waits until it accepts connections. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process =
          new ProcessBuilder(java("kafka.Kafka", dir.resolve("server.properties").toString()))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("kafka.log").toFile())
              .start();
      long end = System.currentTimeMillis() + START_TIMEOUT_MS;
      while (!accepts(port)) {
        if (!process.isAlive() || System.currentTimeMillis() > end) {
          throw new IllegalStateException(
              "the Kafka broker did not start; log: " + dir.resolve("kafka.log"));
        }
        Thread.sleep(100);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Kafka broker: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the broker started", e);
    }
  }

  /** Stops the broker (SIGKILL: an outage, not a clean handover); its data stays. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    long end = System.currentTimeMillis() + 10_000;
    while (accepts(port) && System.currentTimeMillis() < end) {
      Thread.onSpinWait();
    }
  }

  @Override
  public void close() {
    stop();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory
    }
  }

  private String properties() {
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "");
  }

  private List<String> java(String main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xms128m", "-Xmx384m", "-XX:+UseSerialGC"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    command.addAll(List.of(args));
    return command;
  }

  private static void run(List<String> command, Path log) throws IOException {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "Kafka storage format failed: " + Files.readString(log).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while formatting Kafka storage", e);
    }
  }

  /** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding. */
  /**
   * A base64url UUID as Kafka's {@code Uuid.randomUuid} makes it: never one that starts with '-',
   * which the storage tool's argument parser would read as an option (1 run in 64 failed so).
   */
  private static String randomClusterId() {
    while (true) {
      UUID u = UUID.randomUUID();
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
      b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
      String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
      if (!id.startsWith("-")) {
        return id;
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
