package dev.coemesh.gateway.observe;

import dev.coemesh.core.expert.ExpertId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * SLO attainment per expert and phase: each served request is met or missed against its expert's
 * {@link SloTargets}, counted since start in {@code
 * mesh.slo.requests{expert,phase,outcome=met|missed}} (what burn-rate alerts divide) and over a
 * sliding window for the live view, also exported as the gauge {@code
 * mesh.slo.attainment{expert,phase}} (NaN while the window holds no request).
 *
 * <p>The window is {@value #BUCKETS} time buckets, so memory is fixed per expert and phase; it
 * covers between {@code window - window/}{@value #BUCKETS} and {@code window} of history (the
 * oldest bucket leaves whole). Labels are experts of the routing config and two phases only.
 *
 * <p>Thread-safe; {@link #served} takes one short lock per phase.
 */
public final class SloTracker {
  static final int BUCKETS = 30;

  private final SloTargets targets;
  private final Duration window;
  private final long bucketMillis;
  private final MeterRegistry registry;
  private final LongSupplier clockMillis;
  private final Map<Key, Series> series = new ConcurrentHashMap<>();
  // per expert: requests that met both objectives (and one-token ones that met TTFT), for goodput
  private final Map<ExpertId, Series> good = new ConcurrentHashMap<>();

  private record Key(ExpertId expert, SloPhase phase) {}

  /** The window's share of requests that met the target; {@code met + missed} may be 0. */
  public record Attainment(long met, long missed) {
    public long total() {
      return met + missed;
    }

    /** Met over all, or NaN for an empty window (no request, not a breach). */
    public double ratio() {
      return total() == 0 ? Double.NaN : (double) met / total();
    }
  }

  /**
   * @param window how far back {@link #attainment} looks, at least {@value #BUCKETS} ms
   * @param clockMillis wall-clock milliseconds (tests pass their own)
   */
  public SloTracker(
      SloTargets targets, Duration window, MeterRegistry registry, LongSupplier clockMillis) {
    this.targets = Objects.requireNonNull(targets, "targets");
    this.window = Objects.requireNonNull(window, "window");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
    if (window.toMillis() < BUCKETS) {
      throw new IllegalArgumentException("the SLO window must be at least " + BUCKETS + " ms");
    }
    this.bucketMillis = window.toMillis() / BUCKETS;
  }

  /** Registers an expert's meters before its first request, so dashboards see it from start. */
  public void track(ExpertId expert) {
    for (SloPhase phase : SloPhase.values()) {
      series(expert, phase);
    }
  }

  /**
   * One request that finished with output.
   *
   * @param ttft arrival to first token
   * @param meanTpot mean gap between its output tokens after the first; null with one token (no gap
   *     to measure)
   */
  public void served(ExpertId expert, Duration ttft, Duration meanTpot) {
    long now = clockMillis.getAsLong();
    boolean met = record(expert, SloPhase.TTFT, ttft, now);
    if (meanTpot != null) {
      met &= record(expert, SloPhase.TPOT, meanTpot, now);
    }
    good.computeIfAbsent(expert, e -> new Series(null, null, BUCKETS)).add(met, now / bucketMillis);
  }

  private boolean record(ExpertId expert, SloPhase phase, Duration latency, long now) {
    boolean met = latency.compareTo(targets.target(expert, phase)) <= 0;
    series(expert, phase).add(met, now / bucketMillis);
    return met;
  }

  /**
   * The window's requests of {@code expert} by whether they met every objective that applies (TTFT,
   * and TPOT when there was a second token): {@code met} over the window is its goodput.
   */
  public Attainment goodput(ExpertId expert) {
    Series s = good.get(expert);
    return s == null ? new Attainment(0, 0) : s.window(clockMillis.getAsLong() / bucketMillis);
  }

  /** The window's attainment of {@code expert} in {@code phase}. */
  public Attainment attainment(ExpertId expert, SloPhase phase) {
    Series s = series.get(new Key(expert, phase));
    return s == null ? new Attainment(0, 0) : s.window(clockMillis.getAsLong() / bucketMillis);
  }

  public SloTargets targets() {
    return targets;
  }

  public Duration window() {
    return window;
  }

  private Series series(ExpertId expert, SloPhase phase) {
    return series.computeIfAbsent(new Key(expert, phase), this::register);
  }

  private Series register(Key key) {
    String expert = key.expert().value();
    String phase = key.phase().label();
    Series s = new Series(counter(expert, phase, "met"), counter(expert, phase, "missed"), BUCKETS);
    Gauge.builder(
            "mesh.slo.attainment", s, x -> x.window(clockMillis.getAsLong() / bucketMillis).ratio())
        .tag("expert", expert)
        .tag("phase", phase)
        .description("share of requests within the latency objective over the sliding window")
        .register(registry);
    return s;
  }

  private Counter counter(String expert, String phase, String outcome) {
    return Counter.builder("mesh.slo.requests")
        .tag("expert", expert)
        .tag("phase", phase)
        .tag("outcome", outcome)
        .description("served requests by whether they met the latency objective")
        .register(registry);
  }

  /**
   * One expert and phase: a ring of time buckets, slot {@code bucket % n} holding that bucket; the
   * since-start counters are null for a series no meter exports.
   */
  private static final class Series {
    private final Counter metTotal;
    private final Counter missedTotal;
    // guarded by this
    private final long[] bucketOf; // [slot] the bucket number the slot counts, -1 for none
    private final long[] met; // [slot]
    private final long[] missed; // [slot]

    Series(Counter metTotal, Counter missedTotal, int buckets) {
      this.metTotal = metTotal;
      this.missedTotal = missedTotal;
      this.bucketOf = new long[buckets];
      this.met = new long[buckets];
      this.missed = new long[buckets];
      Arrays.fill(bucketOf, -1);
    }

    void add(boolean wasMet, long bucket) {
      Counter total = wasMet ? metTotal : missedTotal;
      if (total != null) {
        total.increment();
      }
      synchronized (this) {
        int slot = (int) (bucket % bucketOf.length);
        if (bucketOf[slot] != bucket) {
          bucketOf[slot] = bucket; // the slot's old bucket has left the window
          met[slot] = 0;
          missed[slot] = 0;
        }
        if (wasMet) {
          met[slot]++;
        } else {
          missed[slot]++;
        }
      }
    }

    synchronized Attainment window(long currentBucket) {
      long m = 0;
      long x = 0;
      for (int slot = 0; slot < bucketOf.length; slot++) {
        if (bucketOf[slot] > currentBucket - bucketOf.length && bucketOf[slot] <= currentBucket) {
          m += met[slot];
          x += missed[slot];
        }
      }
      return new Attainment(m, x);
    }
  }
}
