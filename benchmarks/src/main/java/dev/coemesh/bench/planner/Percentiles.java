package dev.coemesh.bench.planner;

import dev.coemesh.bench.disagg.Stats;
import java.util.Locale;

/** TTFT and TPOT p50/p90 in ms (nearest rank over the finished requests, as the benches count). */
record Percentiles(double ttftP50, double ttftP90, double tpotP50, double tpotP90) {

  static Percentiles of(double[] ttftMs, double[] tpotMs) {
    return new Percentiles(
        Stats.percentile(ttftMs, 50),
        Stats.percentile(ttftMs, 90),
        Stats.percentile(tpotMs, 50),
        Stats.percentile(tpotMs, 90));
  }

  /** |this - reference| / reference per field: the relative error of a prediction. */
  Percentiles relativeErrorAgainst(Percentiles reference) {
    return new Percentiles(
        rel(ttftP50, reference.ttftP50),
        rel(ttftP90, reference.ttftP90),
        rel(tpotP50, reference.tpotP50),
        rel(tpotP90, reference.tpotP90));
  }

  Percentiles max(Percentiles other) {
    return new Percentiles(
        Math.max(ttftP50, other.ttftP50),
        Math.max(ttftP90, other.ttftP90),
        Math.max(tpotP50, other.tpotP50),
        Math.max(tpotP90, other.tpotP90));
  }

  String json() {
    return String.format(
        Locale.ROOT,
        "{\"ttft_p50\":%s,\"ttft_p90\":%s,\"tpot_p50\":%s,\"tpot_p90\":%s}",
        num(ttftP50),
        num(ttftP90),
        num(tpotP50),
        num(tpotP90));
  }

  static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "null";
  }

  private static double rel(double value, double reference) {
    return Math.abs(value - reference) / reference;
  }
}
