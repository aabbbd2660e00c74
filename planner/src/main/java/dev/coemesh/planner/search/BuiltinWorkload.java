package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.ArrivalProcess;
import dev.coemesh.planner.workload.LengthDistribution.LogNormal;
import dev.coemesh.planner.workload.LengthDistribution.Uniform;
import dev.coemesh.planner.workload.LengthMix;

/**
 * Named workloads for the search's CLI, the planner bench and tests. The SLOs are DistServe's
 * artifact SLOs (ALGORITHMS.md 2.4) except where noted. The length shapes are log-normal stand-ins
 * with the datasets' published or estimated means, not fits to the datasets (which are not on this
 * machine); each constant says where its number comes from.
 */
public enum BuiltinWorkload {
  /**
   * ShareGPT chat: mean prompt 161 and mean answer 338 tokens, as the vLLM paper (Kwon et al.,
   * SOSP'23, Fig. 11) reports for ShareGPT; a log-normal with sigma 1 (assumed; the paper's
   * histograms have a long right tail) has median mean/e^0.5. Each side is capped at 1024, so
   * prompt + answer stays under OPT's 2048 positions as DistServe's preparation requires. OPT-13B
   * SLOs 250 ms / 100 ms.
   */
  CHATBOT(
      new LengthMix(new LogNormal(98, 1.0, 4, 1024), new LogNormal(205, 1.0, 4, 1024)),
      new ArrivalProcess.Poisson(),
      new Slo(250, 100)),
  /**
   * LongBench summarisation as DistServe prepares it: contexts truncated to Uniform[1900, 2040]
   * tokens. The answers (a log-normal of median 90 and sigma 0.5, capped at 128) are an assumption,
   * not a LongBench statistic. DistServe's TTFT SLO is 15 s (for OPT-66B); 1 s here keeps prefill
   * capacity decisive for OPT-13B. TPOT 150 ms.
   */
  SUMMARIZATION(
      new LengthMix(new Uniform(1900, 2040), new LogNormal(90, 0.5, 8, 128)),
      new ArrivalProcess.Poisson(),
      new Slo(1000, 150)),
  /**
   * HumanEval code completion: prompts of about 450 characters and canonical solutions of about 180
   * (estimates of the dataset's means, at about 3.5 characters per token: 130 and 55 tokens, not
   * measured here); log-normal, sigma 0.5 and 0.7 assumed. SLOs 125 ms / 200 ms.
   */
  CODE(
      new LengthMix(new LogNormal(115, 0.5, 8, 1024), new LogNormal(43, 0.7, 4, 512)),
      new ArrivalProcess.Poisson(),
      new Slo(125, 200)),
  /**
   * The chatbot mix under a day's swing: the rate goes from half to one and a half times its mean
   * and back, twice per probe. Its goodput is the mean rate the placement carries at 90% over the
   * whole swing, so the peaks decide.
   */
  DIURNAL(CHATBOT.mix, new ArrivalProcess.Diurnal(0.5, 2), CHATBOT.slo);

  private final LengthMix mix;
  private final ArrivalProcess arrivals;
  private final Slo slo;

  BuiltinWorkload(LengthMix mix, ArrivalProcess arrivals, Slo slo) {
    this.mix = mix;
    this.arrivals = arrivals;
    this.slo = slo;
  }

  public LengthMix mix() {
    return mix;
  }

  public ArrivalProcess arrivals() {
    return arrivals;
  }

  public Slo slo() {
    return slo;
  }
}
