package dev.coemesh.planner.sim;

import java.util.List;
import java.util.function.ToDoubleFunction;

/** The outcomes of one simulation run, in completion order. */
public record SimulationResult(Placement placement, List<RequestOutcome> outcomes) {
  public SimulationResult {
    outcomes = List.copyOf(outcomes);
    if (outcomes.isEmpty()) {
      throw new IllegalArgumentException("no outcomes");
    }
  }

  /**
   * The outcomes of the requests in the middle of the arrival order: the first and the last {@code
   * trimFraction} of request ids are dropped, so a probe that starts empty (warm-up) and drains at
   * its end (no arrivals behind the last ones) is judged at its steady state. Ids are the arrival
   * order for {@link dev.coemesh.planner.workload.Arrivals}' streams.
   */
  public SimulationResult steadyState(double trimFraction) {
    if (!(trimFraction >= 0 && trimFraction < 0.5)) {
      throw new IllegalArgumentException("trimFraction must be in [0, 0.5): " + trimFraction);
    }
    int n = outcomes.size();
    int from = (int) Math.floor(trimFraction * n);
    int to = n - from;
    List<RequestOutcome> kept =
        outcomes.stream().filter(o -> o.request().id() >= from && o.request().id() < to).toList();
    return new SimulationResult(placement, kept);
  }

  /** The fraction of requests with TTFT &lt;= the TTFT SLO and TPOT &lt;= the TPOT SLO. */
  public double attainment(Slo slo) {
    long met =
        outcomes.stream()
            .filter(o -> o.ttftMs() <= slo.ttftMs() && o.tpotMs() <= slo.tpotMs())
            .count();
    return (double) met / outcomes.size();
  }

  public double meanTtftMs() {
    return outcomes.stream().mapToDouble(RequestOutcome::ttftMs).average().orElseThrow();
  }

  public double meanTpotMs() {
    return outcomes.stream().mapToDouble(RequestOutcome::tpotMs).average().orElseThrow();
  }

  /** Nearest-rank percentile, {@code p} in (0, 100]. */
  public double ttftPercentileMs(double p) {
    return percentile(RequestOutcome::ttftMs, p);
  }

  public double tpotPercentileMs(double p) {
    return percentile(RequestOutcome::tpotMs, p);
  }

  private double percentile(ToDoubleFunction<RequestOutcome> metric, double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
    }
    double[] values = outcomes.stream().mapToDouble(metric).sorted().toArray();
    int rank = (int) Math.ceil(p / 100 * values.length);
    return values[Math.max(rank, 1) - 1];
  }
}
