package dev.coemesh.worker.bench;

import dev.coemesh.core.slo.Goodput;
import dev.coemesh.core.slo.Slo;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code target/bench/disagg.json} document. */
final class BenchJson {
  private BenchJson() {}

  static String render(
      int cores,
      int level,
      Slo slo,
      Workload mix,
      double[] rates,
      List<String> modes,
      List<String> setups,
      List<List<DisaggBench.RatePoint>> results,
      List<Map<String, Long>> fallbacks,
      double[] goodput,
      String loadAverage,
      double elapsedSeconds) {
    StringBuilder j = new StringBuilder("{\n");
    j.append("  \"bench\": \"disagg\",\n");
    j.append("  \"machine\": {\"cores\": ")
        .append(cores)
        .append(", \"load_average_before_after\": \"")
        .append(loadAverage)
        .append("\"},\n");
    j.append(
        "  \"model\": \"synthetic stories15M shape (dim 288, 6 layers, 6 heads, vocab 32000,"
            + " context 256), random weights, f32\",\n");
    j.append("  \"workload\": {\"arrivals\": \"poisson\", \"long_fraction\": ")
        .append(mix.longFraction())
        .append(", \"short_prompt_tokens\": ")
        .append(range(mix.shortPrompt()))
        .append(", \"long_prompt_tokens\": ")
        .append(range(mix.longPrompt()))
        .append(", \"output_tokens\": ")
        .append(range(mix.output()))
        .append(", \"sampling\": \"greedy\"},\n");
    j.append("  \"codec_level\": ").append(level).append(",\n");
    j.append("  \"slo\": {\"ttft_ms\": ")
        .append(Stats.json(slo.ttftMs()))
        .append(", \"tpot_ms\": ")
        .append(Stats.json(slo.tpotMs()))
        .append(", \"attainment_target\": ")
        .append(Goodput.DEFAULT_TARGET)
        .append("},\n");
    j.append("  \"rates_rps\": ").append(numbers(rates)).append(",\n");
    j.append("  \"attainment\": {");
    for (int m = 0; m < modes.size(); m++) {
      j.append(m == 0 ? "\n" : ",\n").append("    \"").append(modes.get(m)).append("\": {");
      List<DisaggBench.RatePoint> points = results.get(m);
      for (int r = 0; r < points.size(); r++) {
        j.append(r == 0 ? "" : ", ")
            .append('"')
            .append(rate(points.get(r).rate()))
            .append("\": ")
            .append(Stats.json(points.get(r).attainment()));
      }
      j.append('}');
    }
    j.append("\n  },\n");
    j.append("  \"goodput_rps\": {");
    for (int m = 0; m < modes.size(); m++) {
      j.append(m == 0 ? "" : ", ")
          .append('"')
          .append(modes.get(m))
          .append("\": ")
          .append(Stats.json(goodput[m]));
    }
    j.append("},\n");
    j.append("  \"max_rate_meeting_target_rps\": {");
    for (int m = 0; m < modes.size(); m++) {
      double best =
          results.get(m).stream()
              .filter(p -> p.attainment() >= Goodput.DEFAULT_TARGET)
              .mapToDouble(DisaggBench.RatePoint::rate)
              .max()
              .orElse(0);
      j.append(m == 0 ? "" : ", ")
          .append('"')
          .append(modes.get(m))
          .append("\": ")
          .append(rate(best));
    }
    j.append("},\n");
    j.append("  \"goodput_is_lower_bound\": {");
    for (int m = 0; m < modes.size(); m++) {
      List<DisaggBench.RatePoint> points = results.get(m);
      boolean allMet = points.stream().allMatch(p -> p.attainment() >= Goodput.DEFAULT_TARGET);
      j.append(m == 0 ? "" : ", ").append('"').append(modes.get(m)).append("\": ").append(allMet);
    }
    j.append("},\n");
    j.append("  \"goodput_ratio\": ")
        .append(goodput[0] > 0 ? Stats.json(goodput[1] / goodput[0]) : "null")
        .append(",\n");
    if (goodput.length > 2) {
      j.append("  \"goodput_ratio_vs_")
          .append(modes.get(2))
          .append("\": ")
          .append(goodput[2] > 0 ? Stats.json(goodput[1] / goodput[2]) : "null")
          .append(",\n");
    }
    j.append("  \"modes\": {");
    for (int m = 0; m < modes.size(); m++) {
      j.append(m == 0 ? "\n" : ",\n")
          .append("    \"")
          .append(modes.get(m))
          .append("\": {\n      \"setup\": \"")
          .append(setups.get(m))
          .append("\",\n      \"text_fallbacks\": ")
          .append(fallbacks(fallbacks.get(m)))
          .append(",\n      \"per_rate\": [");
      List<DisaggBench.RatePoint> points = results.get(m);
      for (int r = 0; r < points.size(); r++) {
        j.append(r == 0 ? "\n" : ",\n").append("        ").append(point(points.get(r)));
      }
      j.append("\n      ]\n    }");
    }
    j.append("\n  },\n");
    j.append("  \"elapsed_s\": ").append(Stats.json(elapsedSeconds)).append('\n');
    return j.append("}\n").toString();
  }

  private static String point(DisaggBench.RatePoint p) {
    LoadRun.Outcome[] o = p.outcomes();
    long failed = java.util.Arrays.stream(o).filter(x -> !x.ok()).count();
    return String.format(
        Locale.ROOT,
        "{\"rate_rps\": %s, \"requests\": %d, \"failed\": %d, \"attainment\": %s,"
            + " \"ttft_ms\": %s, \"tpot_ms\": %s, \"kv_ms_mean\": {\"encode\": %s, \"transfer\": %s,"
            + " \"decode\": %s}}",
        rate(p.rate()),
        o.length,
        failed,
        Stats.json(p.attainment()),
        percentiles(DisaggBench.column(o, 0)),
        percentiles(DisaggBench.column(o, 1)),
        Stats.json(Stats.mean(DisaggBench.column(o, 2))),
        Stats.json(Stats.mean(DisaggBench.column(o, 3))),
        Stats.json(Stats.mean(DisaggBench.column(o, 4))));
  }

  private static String percentiles(double[] samples) {
    return "{\"p50\": "
        + Stats.json(Stats.percentile(samples, 50))
        + ", \"p90\": "
        + Stats.json(Stats.percentile(samples, 90))
        + ", \"p99\": "
        + Stats.json(Stats.percentile(samples, 99))
        + "}";
  }

  private static String fallbacks(Map<String, Long> counts) {
    StringBuilder s = new StringBuilder("{");
    counts.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                s.append(s.length() > 1 ? ", " : "")
                    .append('"')
                    .append(e.getKey())
                    .append("\": ")
                    .append(e.getValue()));
    return s.append('}').toString();
  }

  private static String range(int[] r) {
    return "[" + r[0] + ", " + r[1] + "]";
  }

  private static String numbers(double[] values) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      s.append(i == 0 ? "" : ", ").append(rate(values[i]));
    }
    return s.append(']').toString();
  }

  private static String rate(double r) {
    return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
  }
}
