package dev.coemesh.worker.server;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.pool.signal.ReplicaAnnouncer;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.signals.kafka.SignalSettings;
import io.quarkus.runtime.LaunchMode;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * A worker process announcing itself to the mesh's routers: its load report (id, endpoint, model
 * fingerprint, queue, KV blocks, the TTFT and TPOT its handlers recorded) at start and every {@link
 * ReplicaAnnouncer#PERIOD}, a {@code CLEARED} KV event at start, then every block its engine caches
 * or evicts. Both fronts (the plain {@link WorkerServer} and the Quarkus apps) use it, so a worker
 * is routable the same way wherever it runs.
 */
public final class WorkerAnnouncer implements AutoCloseable {
  /** The longest a worker's start waits for Kafka before announcing regardless. */
  public static final Duration METADATA_WAIT = Duration.ofSeconds(5);

  private static final System.Logger LOG = System.getLogger(WorkerAnnouncer.class.getName());

  private final ReplicaAnnouncer announcer;
  private final SignalBus ownedBus; // closed with the announcer; null when the caller owns the bus

  private WorkerAnnouncer(ReplicaAnnouncer announcer, SignalBus ownedBus) {
    this.announcer = announcer;
    this.ownedBus = ownedBus;
  }

  /**
   * Announces on {@code signals}, which the caller keeps and closes.
   *
   * @param replica this worker's id; its role must be the runtime's
   * @param endpoint where it serves gRPC, {@code host:port}
   */
  public static WorkerAnnouncer start(
      SignalBus signals,
      ReplicaId replica,
      String endpoint,
      WorkerRuntime runtime,
      WorkerMetrics metrics) {
    return new WorkerAnnouncer(announcer(signals, replica, endpoint, runtime, metrics), null);
  }

  /**
   * Announces on a Kafka bus of its own, closed (flushed, at most seconds) on {@link #close}. Waits
   * up to {@link #METADATA_WAIT} for the topics' metadata first, so the {@code CLEARED} event and
   * the first report are not dropped while the producer learns where the topics live.
   */
  public static WorkerAnnouncer overKafka(
      KafkaSignalOptions options,
      ReplicaId replica,
      String endpoint,
      WorkerRuntime runtime,
      WorkerMetrics metrics) {
    KafkaSignalBus bus = new KafkaSignalBus(options);
    try {
      if (!bus.awaitMetadata(METADATA_WAIT)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "Kafka at {0} did not answer in {1}; announcing {2} anyway (lost signals are counted)",
            options.bootstrapServers(),
            METADATA_WAIT,
            replica);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      return new WorkerAnnouncer(announcer(bus, replica, endpoint, runtime, metrics), bus);
    } catch (RuntimeException e) {
      bus.close();
      throw e;
    }
  }

  /**
   * The Quarkus apps' announcement from {@code mesh.worker.*} and {@code mesh.signals.kafka.*};
   * empty without a Kafka bootstrap (the worker then announces nothing).
   */
  public static Optional<WorkerAnnouncer> fromConfig(
      WorkerConfig worker,
      SignalSettings signals,
      WorkerRole role,
      int grpcPort,
      WorkerRuntime runtime,
      WorkerMetrics metrics) {
    String instance = worker.instance().orElse(defaultInstance(role, grpcPort));
    return signals
        .kafkaOptions(defaultClientId(instance))
        .map(
            options ->
                overKafka(
                    options,
                    replicaId(worker.expert(), role, instance),
                    endpoint(worker.advertiseHost(), grpcPort),
                    runtime,
                    metrics));
  }

  /** The gRPC port of the Quarkus app this runs in (its test port under {@code @QuarkusTest}). */
  public static int quarkusGrpcPort() {
    String key =
        LaunchMode.current() == LaunchMode.TEST
            ? "quarkus.grpc.server.test-port"
            : "quarkus.grpc.server.port";
    return ConfigProvider.getConfig().getValue(key, Integer.class);
  }

  public static ReplicaId replicaId(String expert, WorkerRole role, String instance) {
    return new ReplicaId(new ExpertId(expert), role.replicaRole(), instance);
  }

  /** {@code <role>-<port>}: unique among the workers of one host. */
  public static String defaultInstance(WorkerRole role, int port) {
    return role.wireName() + "-" + port;
  }

  /** {@code host:port}, an IPv6 literal in brackets. */
  public static String endpoint(String host, int port) {
    boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return (ipv6 ? "[" + host + "]" : host) + ":" + port;
  }

  /** A Kafka client id naming the worker in broker logs: the instance, reduced to legal chars. */
  public static String defaultClientId(String instance) {
    String id = "coemesh-worker-" + instance.replaceAll("[^A-Za-z0-9._-]", "_");
    return id.length() > 200 ? id.substring(0, 200) : id;
  }

  public ReplicaId replica() {
    return announcer.replica();
  }

  @Override
  public void close() {
    announcer.close();
    if (ownedBus != null) {
      ownedBus.close();
    }
  }

  private static ReplicaAnnouncer announcer(
      SignalBus signals,
      ReplicaId replica,
      String endpoint,
      WorkerRuntime runtime,
      WorkerMetrics metrics) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (replica.role() != runtime.settings().role().replicaRole()) {
      throw new IllegalArgumentException(
          "replica " + replica + " announced with the role of a " + runtime.settings().role());
    }
    return ReplicaAnnouncer.start(
        replica, endpoint, runtime.batcher(), metrics.recent(), signals, ReplicaAnnouncer.PERIOD);
  }
}
