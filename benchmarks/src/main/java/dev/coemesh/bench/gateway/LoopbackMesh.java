package dev.coemesh.bench.gateway;

import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.process.WorkerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The distributed mesh on loopback, every part its own process as {@code ./mesh up --distributed}
 * runs it: redis-server and a Kafka KRaft broker started by {@code infra/infra.sh} (on free ports,
 * in a run folder of the benchmark's own), colocated worker processes of one expert that announce
 * themselves over Kafka, and the packaged gateway in remote-pool mode that learns them from there.
 * The workers and the gateway can be restarted (fresh caches) while the infrastructure stays up.
 */
final class LoopbackMesh implements AutoCloseable {
  static final String API_KEY = "sk-mesh-bench";

  /** How the workers run. */
  record WorkerSpec(
      String expert,
      String model,
      int replicas,
      int kvBlocks,
      int maxRunning,
      int prefillChunk,
      boolean pin) {}

  private final Path root;
  private final Path runDir;
  private final Path logs;
  private final Map<String, String> infraEnv = new HashMap<>();
  private final int kafkaPort;
  private final int redisPort;
  private final MeshCredential credential = MeshCredential.random();
  private final List<WorkerProcess> workers = new ArrayList<>();
  private final List<ChildProcess> gateways = new ArrayList<>();
  private final List<Integer> gatewayPorts = new ArrayList<>();
  private boolean infraUp;

  LoopbackMesh(Path root, Path runDir) throws IOException {
    this.root = root;
    this.runDir = runDir;
    this.logs = Files.createDirectories(runDir.resolve("logs"));
    this.redisPort = ChildProcess.freePort();
    this.kafkaPort = ChildProcess.freePort();
    infraEnv.put("MESH_RUN_DIR", runDir.toString());
    infraEnv.put("MESH_REDIS_PORT", Integer.toString(redisPort));
    infraEnv.put("MESH_KAFKA_PORT", Integer.toString(kafkaPort));
    infraEnv.put("MESH_KAFKA_CONTROLLER_PORT", Integer.toString(ChildProcess.freePort()));
  }

  /**
   * Redis and Kafka through {@code infra/infra.sh up}, on fresh data (the broker jars are kept).
   */
  void startInfra() throws Exception {
    deleteTree(runDir.resolve("kafka/data"));
    deleteTree(runDir.resolve("redis"));
    infraUp = true;
    // redis-server and the broker are daemons: stop them with the JVM if the bench is killed
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    infra("down", Duration.ofMinutes(1));
                  } catch (Exception e) {
                    System.err.println("infra.sh down failed: " + e.getMessage());
                  }
                }));
    infra("up", Duration.ofMinutes(4));
  }

  /**
   * Stops the Kafka broker as an outage would (its data stays); {@link #startKafka} brings it back.
   */
  void stopKafka() throws Exception {
    infra("kafka-stop", Duration.ofMinutes(1));
  }

  void startKafka() throws Exception {
    infra("kafka-start", Duration.ofMinutes(4));
  }

  private void infra(String command, Duration timeout) throws Exception {
    Path log = logs.resolve("infra-" + command + ".log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", root.resolve("infra/infra.sh").toString(), command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(infraEnv);
    Process p = pb.start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("infra.sh " + command + " timed out; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "infra.sh " + command + " failed: " + Files.readString(log).strip());
    }
  }

  /**
   * Starts the workers (named {@code PREFIX-i}, each with one engine thread, pinned to core {@code
   * i} with {@code taskset} when asked) and waits until each serves.
   */
  void startWorkers(WorkerSpec spec, String prefix) {
    for (int i = 0; i < spec.replicas(); i++) {
      String name = prefix + "-" + i;
      List<String> pin = spec.pin() ? List.of("taskset", "-c", Integer.toString(i)) : List.of();
      workers.add(
          WorkerProcess.start(
              name,
              pin,
              List.of("-Xmx768m", "-XX:+UseParallelGC", "-XX:ActiveProcessorCount=1"),
              List.of(
                  "--role",
                  "colocated",
                  "--expert",
                  spec.expert(),
                  "--instance",
                  name,
                  "--model",
                  spec.model(),
                  "--threads",
                  "1",
                  "--kv-blocks",
                  Integer.toString(spec.kvBlocks()),
                  "--max-running",
                  Integer.toString(spec.maxRunning()),
                  "--prefill-chunk",
                  Integer.toString(spec.prefillChunk()),
                  "--kafka",
                  "127.0.0.1:" + kafkaPort,
                  "--redis",
                  "redis://127.0.0.1:" + redisPort,
                  "--calibration-tokens",
                  "0"),
              Duration.ofMinutes(5),
              credential));
    }
  }

  /**
   * Starts the packaged gateway in remote-pool mode with {@code routing} and waits until its
   * readiness reports every worker's KV pool ({@code replicas × kvBlocks} blocks for the expert):
   * each replica has announced itself over Kafka.
   */
  void startGateway(Path jar, Path routing, WorkerSpec spec, String tag) throws Exception {
    startGateway(
        jar,
        routing,
        spec,
        tag,
        List.of(
            // one tenant whose limits stay out of the way: the bench measures placement
            "-Dmesh.auth.tenants.default.max-queued=4096",
            "-Dmesh.auth.tenants.default.max-concurrent=1024",
            "-Dmesh.serving.remote.slots-per-replica=" + spec.maxRunning()));
  }

  /**
   * Starts one more gateway replica like the one above, with {@code properties} ({@code
   * -Dkey=value} flags: tenants, slots, fairness settings) and the Redis of the infrastructure for
   * shared limits; returns its address. Every replica shares the workers, Kafka and Redis.
   */
  URI startGateway(Path jar, Path routing, WorkerSpec spec, String tag, List<String> properties)
      throws Exception {
    int gatewayPort = ChildProcess.freePort();
    List<String> cmd = ChildProcess.meshJava("-Xmx1g");
    cmd.addAll(
        List.of(
            "-Dquarkus.http.host=127.0.0.1",
            "-Dquarkus.http.port=" + gatewayPort,
            "-Dquarkus.grpc.server.host=127.0.0.1",
            "-Dquarkus.grpc.server.port=" + ChildProcess.freePort(),
            "-Dmesh.serving.pools=remote",
            "-Dmesh.signals.kafka.bootstrap-servers=127.0.0.1:" + kafkaPort,
            "-Dmesh.routing.config=" + routing));
    cmd.addAll(properties);
    cmd.addAll(List.of("-jar", jar.toString()));
    Map<String, String> env = new HashMap<>();
    env.put("MESH_API_KEY", API_KEY);
    credential.exportTo(env);
    ChildProcess gateway =
        new ChildProcess("gateway", cmd, env, logs.resolve("gateway-" + tag + ".log"));
    gateways.add(gateway);
    gatewayPorts.add(gatewayPort);
    HttpClient probe = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + gatewayPort + "/q/health/ready");
    Pattern pool =
        Pattern.compile("\"" + Pattern.quote(spec.expert()) + "\"\\s*:\\s*\"\\d+/(\\d+) KV");
    long expected = (long) spec.replicas() * spec.kvBlocks();
    gateway.awaitReady(
        () -> {
          try {
            HttpResponse<String> r =
                probe.send(
                    HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = pool.matcher(r.body());
            return r.statusCode() == 200 && m.find() && Long.parseLong(m.group(1)) == expected;
          } catch (Exception notYet) {
            return false;
          }
        },
        180_000);
    return URI.create("http://127.0.0.1:" + gatewayPort + "/");
  }

  /** The first gateway started. */
  URI gatewayUri() {
    return URI.create("http://127.0.0.1:" + gatewayPorts.getFirst() + "/");
  }

  /** redis:// address of the infrastructure's Redis. */
  String redisUri() {
    return "redis://127.0.0.1:" + redisPort;
  }

  /** Clients of the running workers, presenting the mesh credential. */
  List<WorkerClient> workerClients() {
    return workers.stream().map(WorkerProcess::client).toList();
  }

  /** Stops the gateways and the workers (their caches go with them); the infrastructure stays. */
  void stopServing() throws InterruptedException {
    stopGateways();
    workers.forEach(WorkerProcess::close);
    workers.clear();
  }

  /** Stops every gateway; the workers and the infrastructure stay. */
  void stopGateways() throws InterruptedException {
    for (ChildProcess gateway : gateways) {
      gateway.close();
    }
    gateways.clear();
    gatewayPorts.clear();
  }

  @Override
  public void close() throws Exception {
    try {
      stopServing();
    } finally {
      if (infraUp) {
        infra("down", Duration.ofMinutes(1)); // the shutdown hook's second call finds nothing
        infraUp = false;
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
