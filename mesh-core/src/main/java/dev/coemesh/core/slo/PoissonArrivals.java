package dev.coemesh.core.slo;

import java.util.SplittableRandom;

/** Arrival times of a Poisson process (exponential gaps), reproducible from a seed. */
public final class PoissonArrivals {
  private PoissonArrivals() {}

  /** {@code count} arrival offsets in milliseconds from 0, at {@code ratePerSecond} on average. */
  public static double[] offsetsMs(int count, double ratePerSecond, long seed) {
    if (count < 0 || !(ratePerSecond > 0)) {
      throw new IllegalArgumentException("count >= 0 and rate > 0 required");
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] offsets = new double[count];
    double t = 0;
    for (int i = 0; i < count; i++) {
      t += -Math.log(1 - random.nextDouble()) / ratePerSecond * 1000;
      offsets[i] = t;
    }
    return offsets;
  }
}
