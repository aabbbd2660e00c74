package dev.coemesh.pool.signal;

import dev.coemesh.core.request.RequestTimings;

/**
 * The latencies a replica reports in its {@code mesh.load} signal: exponentially weighted means of
 * the TTFT and TPOT of the requests it served, each new request weighing {@link #WEIGHT}, so the
 * figure follows the last handful of requests rather than the whole uptime. A stage that did not
 * run (NaN: TPOT of a prefill) leaves its mean alone; a mean is 0 until its first sample. An idle
 * replica keeps its last figures: they describe the last work it did, which is what a router can go
 * by.
 *
 * <p>Thread-safe: request threads record, the announcer reads.
 */
public final class RecentLatencies {
  /** Weight of the newest sample: about the last five requests make up most of the mean. */
  public static final double WEIGHT = 0.2;

  private double ttftMs;
  private double tpotMs;
  private boolean anyTtft;
  private boolean anyTpot;

  /** Adds one served request's timings; non-finite or negative stages are skipped. */
  public synchronized void record(RequestTimings timings) {
    double ttft = timings.ttftMs();
    if (Double.isFinite(ttft) && ttft >= 0) {
      ttftMs = anyTtft ? ttftMs + WEIGHT * (ttft - ttftMs) : ttft;
      anyTtft = true;
    }
    double tpot = timings.tpotMs();
    if (Double.isFinite(tpot) && tpot >= 0) {
      tpotMs = anyTpot ? tpotMs + WEIGHT * (tpot - tpotMs) : tpot;
      anyTpot = true;
    }
  }

  public synchronized double ttftMs() {
    return ttftMs;
  }

  public synchronized double tpotMs() {
    return tpotMs;
  }
}
