package dev.coemesh.core.slo;

/**
 * Goodput as DistServe's plots read it: the highest request rate whose SLO attainment is at least
 * the target, found where the attainment curve crosses the target, with linear interpolation
 * between the two measured rates around the crossing.
 */
public final class Goodput {
  /** DistServe's evaluation target. */
  public static final double DEFAULT_TARGET = 0.90;

  private Goodput() {}

  /**
   * @param rates measured request rates, strictly increasing
   * @param attainment attainment at each rate, in [0, 1]
   * @return the crossing rate; 0 when even the lowest rate misses the target; the highest rate when
   *     no measured rate misses it (a lower bound then)
   */
  public static double crossing(double[] rates, double[] attainment, double target) {
    if (rates.length != attainment.length || rates.length == 0) {
      throw new IllegalArgumentException("need one attainment per rate, at least one rate");
    }
    for (int i = 1; i < rates.length; i++) {
      if (!(rates[i] > rates[i - 1])) {
        throw new IllegalArgumentException("rates must be strictly increasing");
      }
    }
    if (attainment[0] < target) {
      return 0;
    }
    for (int i = 1; i < rates.length; i++) {
      if (attainment[i] < target) {
        double a0 = attainment[i - 1];
        double a1 = attainment[i];
        double fraction = (a0 - target) / (a0 - a1);
        return rates[i - 1] + fraction * (rates[i] - rates[i - 1]);
      }
    }
    return rates[rates.length - 1];
  }
}
