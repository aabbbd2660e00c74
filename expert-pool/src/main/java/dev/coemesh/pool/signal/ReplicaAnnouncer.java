package dev.coemesh.pool.signal;

import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.kv.KvBlockListener;
import dev.coemesh.pool.kv.SignalingBlockListener;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes one engine replica known to the mesh's routers, whichever process serves it: on start a
 * {@code CLEARED} KV event (a restarted replica lost its cache), then its {@link LoadReport} at
 * once and every period (the report is also its announcement: id, endpoint, model fingerprint, so
 * routers forget it when the reports stop), and every block entering or leaving its prefix cache as
 * a {@code mesh.kv-events} signal.
 *
 * <p>Signals never touch a request: the bus drops rather than blocks or throws, and a report that
 * fails to build is logged and the next one tried.
 */
public final class ReplicaAnnouncer implements AutoCloseable {
  /** Well inside a router's replica expiry (seconds), cheap (one small event per period). */
  public static final Duration PERIOD = Duration.ofMillis(500);

  private static final System.Logger LOG = System.getLogger(ReplicaAnnouncer.class.getName());

  private final ReplicaId replica;
  private final String endpoint;
  private final ContinuousBatcher batcher;
  private final RecentLatencies latencies;
  private final ScheduledExecutorService timer;

  private ReplicaAnnouncer(
      ReplicaId replica, String endpoint, ContinuousBatcher batcher, RecentLatencies latencies) {
    this.replica = Objects.requireNonNull(replica, "replica");
    this.endpoint = endpoint;
    this.batcher = Objects.requireNonNull(batcher, "batcher");
    this.latencies = Objects.requireNonNull(latencies, "latencies");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("announce-" + replica).unstarted(r));
  }

  /**
   * Starts announcing; the first load report is published before this returns.
   *
   * @param endpoint where the replica serves ({@code host:port}), null for an in-process replica
   * @param latencies what the replica's front records of the requests it served
   * @param period how often the load is reported ({@link #PERIOD} in production)
   */
  public static ReplicaAnnouncer start(
      ReplicaId replica,
      String endpoint,
      ContinuousBatcher batcher,
      RecentLatencies latencies,
      SignalBus signals,
      Duration period) {
    Objects.requireNonNull(signals, "signals");
    ReplicaAnnouncer announcer = new ReplicaAnnouncer(replica, endpoint, batcher, latencies);
    SignalingBlockListener blocks = new SignalingBlockListener(replica, signals);
    // CLEARED first: a STORED event published before it (same key, same order) would be wiped
    blocks.cleared();
    batcher.engine().setBlockListener(blocks);
    signals.publish(announcer.loadReport());
    long periodMs = Math.max(1, period.toMillis());
    announcer.timer.scheduleAtFixedRate(
        () -> announcer.publishSafely(signals), periodMs, periodMs, TimeUnit.MILLISECONDS);
    return announcer;
  }

  /** The replica's load now. */
  public LoadReport loadReport() {
    LlamaEngine engine = batcher.engine();
    int free = batcher.availableBlocks();
    return new LoadReport(
        replica,
        endpoint,
        engine.fingerprint().value(),
        batcher.waiting(),
        batcher.running(),
        engine.totalBlocks() - free,
        free,
        latencies.ttftMs(),
        latencies.tpotMs(),
        System.currentTimeMillis());
  }

  public ReplicaId replica() {
    return replica;
  }

  private void publishSafely(SignalBus signals) {
    try {
      signals.publish(loadReport());
    } catch (RuntimeException e) {
      // a periodic task that throws is never run again: keep reporting
      LOG.log(System.Logger.Level.WARNING, "load report of " + replica + " failed", e);
    }
  }

  /** Stops the reports and the KV events; routers expire the replica when reports stop. */
  @Override
  public void close() {
    timer.shutdownNow();
    batcher.engine().setBlockListener(KvBlockListener.NONE);
  }
}
