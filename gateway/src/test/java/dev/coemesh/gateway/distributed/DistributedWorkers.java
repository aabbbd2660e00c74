package dev.coemesh.gateway.distributed;

import dev.coemesh.pool.synthetic.SyntheticModels;
import dev.coemesh.testkit.KafkaProcess;
import dev.coemesh.testkit.RedisServer;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.process.WorkerProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The distributed mesh around a gateway under test, every part real and in its own process where
 * the mesh runs it so: a redis-server, a KRaft broker process (stoppable and restartable on its
 * ports), and five worker processes on the synthetic stories15M-shape model — {@code colo} on two
 * colocated replicas, {@code split} on one prefill and two decode replicas. They announce
 * themselves over Kafka; the gateway learns their endpoints from there alone. Workers hold lossless
 * KV (level 0), so greedy output must match bit for bit.
 */
public final class DistributedWorkers implements QuarkusTestResourceLifecycleManager {
  static final String MODEL = "synthetic:stories15M";

  private static RedisServer redis;
  private static KafkaProcess kafka;
  private static final Map<String, WorkerProcess> WORKERS = new LinkedHashMap<>();
  private static Path credentialFile;
  private static Path modelPath;
  private static MeshCredential meshCredential;

  /** How long a SIGTERMed decode worker drains its running streams (a pod's grace period). */
  static final int DECODE_DRAIN_S = 30;

  @Override
  public Map<String, String> start() {
    try {
      redis = RedisServer.startNew();
      kafka = KafkaProcess.startNew();
      credentialFile = Files.createTempFile("coemesh-worker-token", "");
      byte[] secret = new byte[32];
      ThreadLocalRandom.current().nextBytes(secret);
      Files.writeString(credentialFile, HexFormat.of().formatHex(secret));
      MeshCredential credential = MeshCredential.fromFile(credentialFile);
      Path model = SyntheticModels.materialize(MODEL, SyntheticModels.DEFAULT_CACHE);
      modelPath = model;
      meshCredential = credential;
      List<CompletableFuture<Void>> starting = new ArrayList<>();
      for (String[] w :
          List.of(
              new String[] {"colo-0", "colo", "colocated"},
              new String[] {"colo-1", "colo", "colocated"},
              new String[] {"split-prefill-0", "split", "prefill"},
              new String[] {"split-decode-0", "split", "decode"},
              new String[] {"split-decode-1", "split", "decode"})) {
        starting.add(
            CompletableFuture.runAsync(
                () -> {
                  WorkerProcess p = worker(w[0], w[1], w[2], model, credential);
                  synchronized (WORKERS) {
                    WORKERS.put(w[0], p);
                  }
                }));
      }
      CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    } catch (IOException | RuntimeException e) {
      stop();
      throw new IllegalStateException("the distributed mesh did not start: " + e.getMessage(), e);
    }
    return Map.of(
        "mesh.serving.pools",
        "remote",
        "mesh.signals.kafka.bootstrap-servers",
        kafka.bootstrapServers(),
        "mesh.serving.remote.credential-file",
        credentialFile.toString(),
        "mesh.routing.config",
        "classpath:routing/distributed-test-routing.yaml",
        "mesh.slo.publish-interval",
        "1s");
  }

  /**
   * A new process in place of {@code name} (same expert, role and instance name), as a Deployment
   * scaled back up would start one.
   */
  static WorkerProcess restart(String name, String expert, String role) {
    WorkerProcess p = worker(name, expert, role, modelPath, meshCredential);
    synchronized (WORKERS) {
      WorkerProcess old = WORKERS.put(name, p);
      if (old != null) {
        old.close();
      }
    }
    return p;
  }

  private static WorkerProcess worker(
      String name, String expert, String role, Path model, MeshCredential credential) {
    List<String> args = new ArrayList<>();
    if (role.equals("decode")) {
      args.addAll(List.of("--drain-s", String.valueOf(DECODE_DRAIN_S)));
    }
    args.addAll(
        List.of(
            "--role",
            role,
            "--expert",
            expert,
            "--instance",
            name,
            "--model",
            model.toString(),
            "--kafka",
            kafka.bootstrapServers(),
            "--redis",
            redis.uri(),
            "--level",
            "0",
            "--chunk-tokens",
            "16",
            "--max-running",
            "4",
            "--calibration-tokens",
            "0",
            "--metrics-port",
            "0"));
    return WorkerProcess.start(
        name,
        List.of(),
        List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=1"),
        args,
        Duration.ofSeconds(60),
        credential);
  }

  /** Every worker process, by name. */
  static Map<String, WorkerProcess> workers() {
    synchronized (WORKERS) {
      return new LinkedHashMap<>(WORKERS);
    }
  }

  static WorkerProcess worker(String name) {
    synchronized (WORKERS) {
      return WORKERS.get(name);
    }
  }

  static KafkaProcess kafka() {
    return kafka;
  }

  static RedisServer redis() {
    return redis;
  }

  @Override
  public void stop() {
    synchronized (WORKERS) {
      WORKERS.values().forEach(WorkerProcess::close);
      WORKERS.clear();
    }
    if (kafka != null) {
      kafka.close();
      kafka = null;
    }
    if (redis != null) {
      redis.close();
      redis = null;
    }
    try {
      if (credentialFile != null) {
        Files.deleteIfExists(credentialFile);
      }
    } catch (IOException ignored) {
      // a temp file
    }
  }
}
