package dev.coemesh.gateway.serve;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where the experts with model files run ({@code mesh.serving.*}). Upstream experts are reached by
 * their URL either way.
 *
 * <pre>
 * mesh.serving.pools=remote                   # the distributed mesh: worker processes
 * mesh.signals.kafka.bootstrap-servers=127.0.0.1:9092
 * </pre>
 */
@ConfigMapping(prefix = "mesh.serving")
public interface ServingConfig {

  /** Where an expert's replicas run. */
  enum Pools {
    /** In this JVM, {@code mesh.embedded.*} replicas per expert (the embedded mode). */
    EMBEDDED,
    /**
     * On worker processes (colocated, prefill and decode replicas) that announce themselves and
     * report their load and KV blocks over the signal bus (Kafka in the distributed mode).
     */
    REMOTE
  }

  @WithDefault("embedded")
  Pools pools();

  Remote remote();

  /** The client side of remote worker pools. */
  interface Remote {
    /** Requests one colocated or decode replica runs at once (its batch slots), for admission. */
    @WithDefault("32")
    int slotsPerReplica();

    /** Replicas tried per request at most, the placed one and failovers included. */
    @WithDefault("3")
    int maxAttempts();

    /** The longest one worker call may take; a request's own deadline is usually shorter. */
    @WithDefault("10m")
    Duration callDeadline();

    /**
     * The mesh credential every worker call presents (a mounted Secret); absent: the {@code
     * MESH_WORKER_TOKEN} environment variable. Read only when pools are remote.
     */
    Optional<Path> credentialFile();

    /**
     * Worker replicas known from the config, {@code expert/role/instance@host:port} each: polled
     * for their health and load every {@link #seedInterval()} and placed on like announced ones
     * ({@code SeedProbe}), so remote pools serve without Kafka. KV-block events (prefix affinity)
     * still need the signal bus.
     */
    Optional<List<String>> seeds();

    /** How often seeds are polled, also each poll's deadline. */
    @WithDefault("500ms")
    Duration seedInterval();
  }
}
