package dev.coemesh.gateway.observe;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.core.spi.SignalBus;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Publishes each expert's SLO attainment on {@code mesh.slo} every {@code interval}, one {@link
 * SloReport} per expert pool (keyed by the expert's name), from the {@link SloTracker}'s sliding
 * window: TTFT and TPOT attainment (NaN when the window holds no request, so that an idle pool
 * reads as idle and not as breaching), and goodput as the requests that met every objective over
 * the window's length. The planner's load loop reads them ({@code dev.coemesh.planner.control}).
 *
 * <p>Each gateway replica reports what it served; a consumer combining replicas weights by goodput.
 * Losing Kafka loses reports, never requests: a failed publish is logged and the next tick tries
 * again.
 */
public final class SloPublisher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SloPublisher.class);

  private final SloTracker tracker;
  private final SignalBus bus;
  private final List<ExpertId> experts;
  private final LongSupplier clockMillis;
  private final ScheduledExecutorService timer;

  /**
   * @param interval how often to publish; null to publish only through {@link #publishNow}
   */
  public SloPublisher(
      SloTracker tracker,
      SignalBus bus,
      List<ExpertId> experts,
      Duration interval,
      LongSupplier clockMillis) {
    this.tracker = Objects.requireNonNull(tracker, "tracker");
    this.bus = Objects.requireNonNull(bus, "bus");
    this.experts = List.copyOf(experts);
    this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
    if (interval == null) {
      this.timer = null;
      return;
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("the SLO publish interval must be > 0, was " + interval);
    }
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("slo-publisher").factory());
    long ms = interval.toMillis();
    timer.scheduleAtFixedRate(this::publishQuietly, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** The reports of this moment, one per expert, in the order the experts were given. */
  public List<SloReport> reports() {
    long windowMs = tracker.window().toMillis();
    long now = clockMillis.getAsLong();
    return experts.stream()
        .map(
            e ->
                new SloReport(
                    e.value(),
                    tracker.attainment(e, SloPhase.TTFT).ratio(),
                    tracker.attainment(e, SloPhase.TPOT).ratio(),
                    tracker.goodput(e).met() * 1000.0 / windowMs,
                    windowMs,
                    now))
        .toList();
  }

  /** Publishes the reports of this moment. */
  public void publishNow() {
    reports().forEach(bus::publish);
  }

  private void publishQuietly() {
    try {
      publishNow();
    } catch (RuntimeException e) {
      LOG.debugf(e, "SLO reports not published this time");
    }
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
