package dev.coemesh.bench.disagg;

import java.util.Arrays;

/**
 * Percentiles and means over samples, ignoring NaN (requests that failed); shared by the benches.
 */
public final class Stats {
  private Stats() {}

  /** Nearest-rank percentile {@code p} in [0, 100]; NaN when there is no sample. */
  public static double percentile(double[] samples, double p) {
    double[] finite = Arrays.stream(samples).filter(Double::isFinite).sorted().toArray();
    if (finite.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100 * finite.length);
    return finite[Math.max(0, Math.min(finite.length - 1, rank - 1))];
  }

  static double mean(double[] samples) {
    return Arrays.stream(samples).filter(Double::isFinite).average().orElse(Double.NaN);
  }
}
