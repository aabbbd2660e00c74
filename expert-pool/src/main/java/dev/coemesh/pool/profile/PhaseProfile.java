package dev.coemesh.pool.profile;

import java.util.List;

/**
 * One phase's latency model: DistServe's form, its three coefficients and the points they were
 * fitted to (empty for published profiles, which give coefficients only).
 *
 * @param form {@link #PREFILL_FORM} or {@link #DECODE_FORM}
 * @param aMs constant, ms
 * @param bMs ms per prompt token (prefill) or per context token in the batch (decode)
 * @param cMs ms per squared prompt token (prefill) or per sequence in the batch (decode)
 * @param points the measured points (batch, lengths, median ms)
 * @param r2 the fit's R^2 on {@code points}; NaN when there are none
 */
public record PhaseProfile(
    String form, double aMs, double bMs, double cMs, List<Point> points, double r2) {
  public static final String PREFILL_FORM = "a+b*sum_len+c*sum_len2";
  public static final String DECODE_FORM = "a+b*sum_ctx+c*batch";

  /**
   * One measured step.
   *
   * @param lens prompt lengths (prefill) or context lengths (decode), one per sequence
   * @param ms median milliseconds of the step
   */
  public record Point(int[] lens, double ms) {
    public int batch() {
      return lens.length;
    }
  }

  public PhaseProfile {
    if (!PREFILL_FORM.equals(form) && !DECODE_FORM.equals(form)) {
      throw new IllegalArgumentException(
          "unknown latency form '" + form + "' (known: " + PREFILL_FORM + ", " + DECODE_FORM + ")");
    }
    points = List.copyOf(points);
  }

  /** Fits the phase's form to measured points. */
  public static PhaseProfile fitted(String form, List<Point> points) {
    LatencyFit fit =
        LatencyFit.fit(points.stream().map(p -> observation(form, p.lens(), p.ms())).toList());
    return new PhaseProfile(form, fit.a(), fit.b(), fit.c(), points, fit.r2());
  }

  /** Predicted milliseconds of one step over sequences of these lengths. */
  public double predictMs(int... lens) {
    LatencyFit.Observation o = observation(form, lens, 0);
    return aMs + bMs * o.x1() + cMs * o.x2();
  }

  static LatencyFit.Observation observation(String form, int[] lens, double ms) {
    double sum = 0;
    double squares = 0;
    for (int len : lens) {
      sum += len;
      squares += (double) len * len;
    }
    return PREFILL_FORM.equals(form)
        ? new LatencyFit.Observation(sum, squares, ms)
        : new LatencyFit.Observation(sum, lens.length, ms);
  }
}
