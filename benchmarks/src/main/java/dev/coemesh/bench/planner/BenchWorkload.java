package dev.coemesh.bench.planner;

import dev.coemesh.planner.latency.LatencyModel;
import dev.coemesh.planner.search.BuiltinWorkload;
import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.ArrivalProcess;
import dev.coemesh.planner.workload.LengthDistribution.LogNormal;
import dev.coemesh.planner.workload.LengthDistribution.Uniform;
import dev.coemesh.planner.workload.LengthMix;

/**
 * A workload of the planner bench: a built-in GPU-class workload, or its counterpart for the
 * stories15M-shape synthetic model this machine runs (256 positions, so prompt + output stays under
 * 256). The small shapes keep each built-in's character (chat: long-tailed both ways;
 * summarisation: long prompts, short answers; code: short prompts, mid answers; diurnal: chat under
 * a swing), not its numbers. Their SLOs are set from the measured profile, as DistServe's SLO-scale
 * experiments scale SLOs: TTFT 5x (code 3x, summarisation 3x) a lone mean prompt's prefill plus one
 * decode step, TPOT 3x a lone decode step at the mean context. A fixed SLO in ms would mean
 * something else on a quiet machine and on one shared with three neighbours.
 */
record BenchWorkload(String name, LengthMix mix, ArrivalProcess arrivals, Slo slo) {

  static BenchWorkload of(BuiltinWorkload builtin) {
    return new BenchWorkload(
        builtin.name().toLowerCase(java.util.Locale.ROOT),
        builtin.mix(),
        builtin.arrivals(),
        builtin.slo());
  }

  /** The synthetic model's counterpart of {@code builtin}, SLOs scaled to {@code latency}. */
  static BenchWorkload small(BuiltinWorkload builtin, LatencyModel latency) {
    LengthMix chat = new LengthMix(new LogNormal(24, 1.0, 2, 128), new LogNormal(40, 0.8, 2, 96));
    return switch (builtin) {
      case CHATBOT -> scaled("chatbot", chat, builtin, latency, 5);
      case SUMMARIZATION ->
          scaled(
              "summarization",
              new LengthMix(new Uniform(180, 200), new LogNormal(12, 0.5, 2, 24)),
              builtin,
              latency,
              3);
      case CODE ->
          scaled(
              "code",
              new LengthMix(new LogNormal(16, 0.5, 2, 64), new LogNormal(32, 0.7, 2, 128)),
              builtin,
              latency,
              3);
      case DIURNAL -> scaled("diurnal", chat, builtin, latency, 5);
    };
  }

  private static BenchWorkload scaled(
      String name, LengthMix mix, BuiltinWorkload builtin, LatencyModel latency, double ttftScale) {
    int prompt = (int) Math.round(mix.input().mean());
    long context = Math.round(mix.input().mean() + mix.output().mean() / 2);
    double decode = latency.decodeStepMs(1, context);
    double ttft = ttftScale * (latency.prefillMs(new int[] {prompt}) + decode);
    return new BenchWorkload(name, mix, builtin.arrivals(), new Slo(ttft, 3 * decode));
  }
}
