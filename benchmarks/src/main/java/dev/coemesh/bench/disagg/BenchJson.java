package dev.coemesh.bench.disagg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.slo.Goodput;
import dev.coemesh.core.slo.Slo;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@code target/bench/disagg.json} document. */
final class BenchJson {
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

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
    ObjectNode j = JSON.createObjectNode();
    j.put("bench", "disagg");
    j.putObject("machine").put("cores", cores).put("load_average_before_after", loadAverage);
    j.put(
        "model",
        "synthetic stories15M shape (dim 288, 6 layers, 6 heads, vocab 32000, context 256), random"
            + " weights, f32");
    ObjectNode workload = j.putObject("workload");
    workload.put("arrivals", "poisson").put("long_fraction", mix.longFraction());
    range(workload.putArray("short_prompt_tokens"), mix.shortPrompt());
    range(workload.putArray("long_prompt_tokens"), mix.longPrompt());
    range(workload.putArray("output_tokens"), mix.output());
    workload.put("sampling", "greedy");
    j.put("codec_level", level);
    j.putObject("slo")
        .put("ttft_ms", slo.ttftMs())
        .put("tpot_ms", slo.tpotMs())
        .put("attainment_target", Goodput.DEFAULT_TARGET);
    ArrayNode rateList = j.putArray("rates_rps");
    Arrays.stream(rates).forEach(rateList::add);

    ObjectNode attainment = j.putObject("attainment");
    ObjectNode goodputs = j.putObject("goodput_rps");
    ObjectNode best = j.putObject("max_rate_meeting_target_rps");
    ObjectNode lowerBound = j.putObject("goodput_is_lower_bound");
    for (int m = 0; m < modes.size(); m++) {
      List<DisaggBench.RatePoint> points = results.get(m);
      ObjectNode perRate = attainment.putObject(modes.get(m));
      points.forEach(p -> number(perRate, label(p.rate()), p.attainment()));
      number(goodputs, modes.get(m), goodput[m]);
      best.put(
          modes.get(m),
          points.stream()
              .filter(p -> p.attainment() >= Goodput.DEFAULT_TARGET)
              .mapToDouble(DisaggBench.RatePoint::rate)
              .max()
              .orElse(0));
      lowerBound.put(
          modes.get(m), points.stream().allMatch(p -> p.attainment() >= Goodput.DEFAULT_TARGET));
    }
    ratio(j, "goodput_ratio", goodput[1], goodput[0]);
    if (goodput.length > 2) {
      ratio(j, "goodput_ratio_vs_" + modes.get(2), goodput[1], goodput[2]);
    }
    ObjectNode modeNodes = j.putObject("modes");
    for (int m = 0; m < modes.size(); m++) {
      ObjectNode mode = modeNodes.putObject(modes.get(m));
      mode.put("setup", setups.get(m));
      ObjectNode fallbackCounts = mode.putObject("text_fallbacks");
      new TreeMap<>(fallbacks.get(m)).forEach(fallbackCounts::put);
      ArrayNode perRate = mode.putArray("per_rate");
      results.get(m).forEach(p -> point(perRate.addObject(), p));
    }
    number(j, "elapsed_s", elapsedSeconds);
    try {
      return JSON.writeValueAsString(j) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }

  private static void point(ObjectNode out, DisaggBench.RatePoint p) {
    LoadRun.Outcome[] o = p.outcomes();
    out.put("rate_rps", p.rate());
    out.put("requests", o.length);
    out.put("failed", Arrays.stream(o).filter(x -> !x.ok()).count());
    number(out, "attainment", p.attainment());
    percentiles(out.putObject("ttft_ms"), DisaggBench.column(o, 0));
    percentiles(out.putObject("tpot_ms"), DisaggBench.column(o, 1));
    ObjectNode kv = out.putObject("kv_ms_mean");
    number(kv, "encode", Stats.mean(DisaggBench.column(o, 2)));
    number(kv, "transfer", Stats.mean(DisaggBench.column(o, 3)));
    number(kv, "decode", Stats.mean(DisaggBench.column(o, 4)));
  }

  private static void percentiles(ObjectNode out, double[] samples) {
    for (int p : new int[] {50, 90, 99}) {
      number(out, "p" + p, Stats.percentile(samples, p));
    }
  }

  /** Rounded to 0.001; null when there is no finite value (no samples, no crossing). */
  private static void number(ObjectNode out, String field, double v) {
    if (Double.isFinite(v)) {
      out.put(field, Math.round(v * 1000) / 1000.0);
    } else {
      out.putNull(field);
    }
  }

  /** {@code a / b}, or null when {@code b} is 0 (that mode met the SLOs at no rate). */
  private static void ratio(ObjectNode out, String field, double a, double b) {
    number(out, field, b > 0 ? a / b : Double.NaN);
  }

  private static void range(ArrayNode out, int[] r) {
    out.add(r[0]).add(r[1]);
  }

  private static String label(double rate) {
    return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
  }
}
