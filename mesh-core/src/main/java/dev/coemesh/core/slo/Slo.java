package dev.coemesh.core.slo;

/**
 * A latency SLO pair, DistServe style: a request attains it when both its TTFT and its TPOT are
 * within bounds (inclusive, as the DistServe artifact's {@code get_slo_attainment}).
 */
public record Slo(double ttftMs, double tpotMs) {
  public Slo {
    if (!(ttftMs > 0) || !(tpotMs > 0)) {
      throw new IllegalArgumentException(
          "SLO bounds must be > 0: ttft=" + ttftMs + " tpot=" + tpotMs);
    }
  }

  public boolean attainedBy(double ttft, double tpot) {
    return ttft <= ttftMs && tpot <= tpotMs;
  }

  /** Fraction of requests attaining both bounds; {@code ttft[i]}, {@code tpot[i]} per request. */
  public double attainment(double[] ttft, double[] tpot) {
    if (ttft.length != tpot.length) {
      throw new IllegalArgumentException("ttft and tpot differ in length");
    }
    if (ttft.length == 0) {
      return 0;
    }
    int met = 0;
    for (int i = 0; i < ttft.length; i++) {
      if (attainedBy(ttft[i], tpot[i])) {
        met++;
      }
    }
    return (double) met / ttft.length;
  }
}
