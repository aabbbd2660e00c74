package dev.coemesh.gateway.serve;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.v1.HealthReply;
import dev.coemesh.worker.v1.LoadReply;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.jboss.logging.Logger;

/**
 * Worker replicas named in the config ({@code mesh.serving.remote.seeds}), polled over gRPC: each
 * round asks every seed for its {@code Health} (role and model fingerprint, checked against the
 * seed) and {@code Load}, and hands the router a load report with the seed's endpoint, exactly as
 * if the worker had announced itself. A remote pool so serves without a signal bus, and a listed
 * worker is known from the first round, before any announcement. A seed that stops answering gets
 * no more reports and expires like a silent announcer.
 *
 * <p>What polling cannot give: the workers' KV-block events come only over the bus, so without
 * Kafka prefix affinity has nothing to match and placement is by load alone.
 */
public final class SeedProbe implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SeedProbe.class);

  /** One listed replica: {@code expert/role/instance@host:port}. */
  public record Seed(ReplicaId replica, String endpoint) {
    /** Parses {@code expert/role/instance@host:port}; role is colocated, prefill or decode. */
    public static Seed parse(String text) {
      String s = text.strip();
      int at = s.lastIndexOf('@');
      String[] id = at < 0 ? new String[0] : s.substring(0, at).split("/", -1);
      String endpoint = at < 0 ? "" : s.substring(at + 1);
      int colon = endpoint.lastIndexOf(':');
      if (id.length != 3 || colon < 1 || !endpoint.substring(colon + 1).matches("[0-9]{1,5}")) {
        throw new IllegalArgumentException(
            "a seed is expert/role/instance@host:port (role colocated, prefill or decode), was '"
                + text
                + "'");
      }
      ReplicaRole role;
      try {
        role = ReplicaRole.valueOf(id[1].toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "seed '" + text + "': role must be colocated, prefill or decode");
      }
      return new Seed(new ReplicaId(new ExpertId(id[0]), role, id[2]), endpoint);
    }
  }

  private final List<Seed> seeds;
  private final WorkerChannels channels;
  private final ToLongFunction<ExpertId> fingerprint;
  private final Consumer<SignalEvent.LoadReport> router;
  private final Duration interval;
  private final Clock clock;
  private final Set<ReplicaId> refused = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService rounds;

  /**
   * Starts polling at once, then every {@code interval} (also each call's deadline).
   *
   * @param fingerprint the fingerprint of an expert's weights, 0 when the gateway does not know it;
   *     a seed on other weights is refused
   */
  public SeedProbe(
      List<Seed> seeds,
      WorkerChannels channels,
      ToLongFunction<ExpertId> fingerprint,
      Consumer<SignalEvent.LoadReport> router,
      Duration interval,
      Clock clock) {
    Set<ReplicaId> unique = new HashSet<>();
    for (Seed s : seeds) {
      if (!unique.add(s.replica())) {
        throw new IllegalArgumentException("seed " + s.replica() + " is listed twice");
      }
    }
    this.seeds = List.copyOf(seeds);
    this.channels = channels;
    this.fingerprint = fingerprint;
    this.router = router;
    this.interval = interval;
    this.clock = clock;
    this.rounds =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("seed-probe").factory());
    rounds.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One probe per seed, concurrently, so a slow seed cannot delay the others' reports. */
  private void round() {
    List<Thread> probes = new ArrayList<>(seeds.size());
    for (Seed s : seeds) {
      probes.add(Thread.ofVirtual().name("seed-" + s.replica()).start(() -> probe(s)));
    }
    for (Thread t : probes) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void probe(Seed seed) {
    try {
      WorkerClient client = channels.client(seed.endpoint());
      HealthReply health = client.health(interval);
      String problem = mismatch(seed, health);
      if (problem != null) {
        if (refused.add(seed.replica())) {
          LOG.warnf("seed %s at %s refused: %s", seed.replica(), seed.endpoint(), problem);
        }
        return;
      }
      refused.remove(seed.replica());
      LoadReply load = client.load(interval);
      int free = load.getAvailableKvBlocks();
      router.accept(
          new SignalEvent.LoadReport(
              seed.replica(),
              seed.endpoint(),
              health.getModelFingerprint(),
              load.getWaitingSequences(),
              load.getRunningSequences(),
              Math.max(0, load.getTotalKvBlocks() - free),
              free,
              Double.NaN,
              Double.NaN,
              clock.millis()));
    } catch (RuntimeException e) {
      // unreachable or refusing this round: no report, so it expires if it stays that way
      LOG.debugf("seed %s at %s: %s", seed.replica(), seed.endpoint(), e.getMessage());
    }
  }

  /** Why the worker is not the replica the seed names, or null. */
  private String mismatch(Seed seed, HealthReply health) {
    if (!health.getServing()) {
      return "not serving";
    }
    String role = seed.replica().role().name().toLowerCase(Locale.ROOT);
    if (!role.equals(health.getRole())) {
      return "it serves as " + health.getRole() + ", the seed says " + role;
    }
    long expected = fingerprint.applyAsLong(seed.replica().expert());
    if (expected != 0 && health.getModelFingerprint() != expected) {
      return "it serves other weights than " + seed.replica().expert() + "'s model";
    }
    return null;
  }

  @Override
  public void close() {
    rounds.shutdownNow();
  }
}
