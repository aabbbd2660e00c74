package dev.coemesh.bench.planner;

import dev.coemesh.planner.search.BuiltinWorkload;
import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.ArrivalProcess;
import dev.coemesh.planner.workload.LengthDistribution.LogNormal;
import dev.coemesh.planner.workload.LengthDistribution.Uniform;
import dev.coemesh.planner.workload.LengthMix;

/**
 * A workload of the planner bench: a built-in GPU-class workload, or its counterpart for the
 * stories15M-shape synthetic model this machine runs (256 positions, so prompt + output stays under
 * 256; SLOs as DisaggBench's, 250 ms TTFT and 25 ms TPOT, except where noted). The small shapes
 * keep each built-in's character (chat: long-tailed both ways; summarisation: long prompts, short
 * answers; code: short prompts, mid answers; diurnal: chat under a swing), not its numbers.
 */
record BenchWorkload(String name, LengthMix mix, ArrivalProcess arrivals, Slo slo) {

  static BenchWorkload of(BuiltinWorkload builtin) {
    return new BenchWorkload(
        builtin.name().toLowerCase(java.util.Locale.ROOT),
        builtin.mix(),
        builtin.arrivals(),
        builtin.slo());
  }

  /** The synthetic model's counterpart of {@code builtin}. */
  static BenchWorkload small(BuiltinWorkload builtin) {
    LengthMix chat = new LengthMix(new LogNormal(24, 1.0, 2, 128), new LogNormal(40, 0.8, 2, 96));
    Slo slo = new Slo(250, 25);
    return switch (builtin) {
      case CHATBOT -> new BenchWorkload("chatbot", chat, builtin.arrivals(), slo);
      case SUMMARIZATION ->
          new BenchWorkload(
              "summarization",
              new LengthMix(new Uniform(180, 200), new LogNormal(12, 0.5, 2, 24)),
              builtin.arrivals(),
              new Slo(500, 25));
      case CODE ->
          new BenchWorkload(
              "code",
              new LengthMix(new LogNormal(16, 0.5, 2, 64), new LogNormal(32, 0.7, 2, 128)),
              builtin.arrivals(),
              new Slo(125, 25));
      case DIURNAL -> new BenchWorkload("diurnal", chat, builtin.arrivals(), slo);
    };
  }
}
