package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.Placement;
import dev.coemesh.planner.sim.Simulator;
import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.Arrivals;
import dev.coemesh.planner.workload.LengthMix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * DistServe's simulator-driven placement search for one expert: every colocated replica count and
 * every (prefill, decode) split within the replica budget, each scored by the bisected goodput, the
 * best per replica chosen (ties to fewer replicas). Deterministic for the settings' seed.
 */
public final class PlacementSearch {
  private final Simulator simulator;
  private final SearchSettings settings;

  public PlacementSearch(Engine engine, SearchSettings settings) {
    this.simulator = new Simulator(engine);
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** Colocated(1..budget) then Disaggregated(P, D) for every P + D &lt;= budget. */
  public static List<Placement> candidates(int replicaBudget) {
    if (replicaBudget < 1) {
      throw new IllegalArgumentException("replicaBudget must be >= 1: " + replicaBudget);
    }
    List<Placement> candidates = new ArrayList<>();
    for (int r = 1; r <= replicaBudget; r++) {
      candidates.add(new Placement.Colocated(r));
    }
    for (int p = 1; p < replicaBudget; p++) {
      for (int d = 1; p + d <= replicaBudget; d++) {
        candidates.add(new Placement.Disaggregated(p, d));
      }
    }
    return List.copyOf(candidates);
  }

  public SearchResult search(int replicaBudget, LengthMix mix, Slo slo) {
    List<PlacementScore> scores = new ArrayList<>();
    for (Placement placement : candidates(replicaBudget)) {
      scores.add(score(placement, mix, slo));
    }
    PlacementScore best =
        scores.stream()
            .max(
                Comparator.comparingDouble(PlacementScore::goodputPerReplica)
                    .thenComparing(s -> -s.placement().replicas()))
            .orElseThrow();
    return new SearchResult(best, scores);
  }

  /** Bisects the per-replica rate; the goodput is the last passing rate times the replicas. */
  public PlacementScore score(Placement placement, LengthMix mix, Slo slo) {
    double lo = 0;
    double hi = settings.maxRatePerReplica();
    while (hi - lo > settings.epsilon()) {
      double mid = (lo + hi) / 2;
      if (passes(placement, mix, slo, mid * placement.replicas())) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return new PlacementScore(placement, lo * placement.replicas());
  }

  /** The attainment of one placement at one total arrival rate (req/s). */
  public double attainment(Placement placement, LengthMix mix, Slo slo, double ratePerSecond) {
    return simulator
        .run(placement, Arrivals.poisson(mix, ratePerSecond, settings.requests(), settings.seed()))
        .attainment(slo);
  }

  private boolean passes(Placement placement, LengthMix mix, Slo slo, double ratePerSecond) {
    return attainment(placement, mix, slo, ratePerSecond) >= settings.attainmentTarget();
  }
}
