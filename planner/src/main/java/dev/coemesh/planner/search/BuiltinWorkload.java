package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.LengthDistribution.Uniform;
import dev.coemesh.planner.workload.LengthMix;

/**
 * Named workloads for the search's CLI and tests. The SLOs are DistServe's artifact SLOs
 * (ALGORITHMS.md 2.4); the length ranges are uniform stand-ins for the datasets' shapes, not fitted
 * to ShareGPT, LongBench or HumanEval.
 */
public enum BuiltinWorkload {
  /** ShareGPT-like chat: mid-length prompts and answers; OPT-13B SLOs 250 ms / 100 ms. */
  CHATBOT(new LengthMix(new Uniform(32, 1024), new Uniform(16, 512)), new Slo(250, 100)),
  /**
   * LongBench-like summarisation: prompts of 1900-2040 tokens, short answers, and (unlike
   * DistServe's 15 s) a tight 1 s TTFT, so prefill capacity decides.
   */
  SUMMARIZATION(new LengthMix(new Uniform(1900, 2040), new Uniform(16, 128)), new Slo(1000, 150)),
  /** HumanEval-like code completion: short prompts, mid-length answers; 125 ms / 200 ms. */
  CODE(new LengthMix(new Uniform(64, 512), new Uniform(32, 256)), new Slo(125, 200));

  private final LengthMix mix;
  private final Slo slo;

  BuiltinWorkload(LengthMix mix, Slo slo) {
    this.mix = mix;
    this.slo = slo;
  }

  public LengthMix mix() {
    return mix;
  }

  public Slo slo() {
    return slo;
  }
}
