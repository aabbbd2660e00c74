package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.Placement;
import dev.coemesh.planner.sim.Simulator;
import dev.coemesh.planner.sim.Slo;
import dev.coemesh.planner.workload.ArrivalProcess;
import dev.coemesh.planner.workload.LengthMix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * DistServe's simulator-driven placement search for one expert: every colocated replica count and
 * every (prefill, decode) split within the replica budget, each scored by the bisected goodput, the
 * best per replica chosen (ties to fewer replicas). Then {@link #size} replicates the best unit to
 * carry a given rate, as DistServe's Algorithm 1 does. Deterministic for the settings' seed.
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

  /** The search under Poisson arrivals. */
  public SearchResult search(int replicaBudget, LengthMix mix, Slo slo) {
    return search(replicaBudget, mix, new ArrivalProcess.Poisson(), slo);
  }

  public SearchResult search(int replicaBudget, LengthMix mix, ArrivalProcess arrivals, Slo slo) {
    List<PlacementScore> scores = new ArrayList<>();
    for (Placement placement : candidates(replicaBudget)) {
      scores.add(score(placement, mix, arrivals, slo));
    }
    return new SearchResult(best(scores), scores);
  }

  /** The highest goodput per replica; ties go to fewer replicas. */
  static PlacementScore best(List<PlacementScore> scores) {
    return scores.stream()
        .max(
            Comparator.comparingDouble(PlacementScore::goodputPerReplica)
                .thenComparing(s -> -s.placement().replicas()))
        .orElseThrow();
  }

  public PlacementScore score(Placement placement, LengthMix mix, Slo slo) {
    return score(placement, mix, new ArrivalProcess.Poisson(), slo);
  }

  /** Bisects the per-replica rate; the goodput is the last passing rate times the replicas. */
  public PlacementScore score(
      Placement placement, LengthMix mix, ArrivalProcess arrivals, Slo slo) {
    double lo = 0;
    double hi = settings.maxRatePerReplica();
    while (hi - lo > settings.epsilon()) {
      double mid = (lo + hi) / 2;
      if (attainment(placement, mix, arrivals, slo, mid * placement.replicas())
          >= settings.attainmentTarget()) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return new PlacementScore(placement, lo * placement.replicas());
  }

  public double attainment(Placement placement, LengthMix mix, Slo slo, double ratePerSecond) {
    return attainment(placement, mix, new ArrivalProcess.Poisson(), slo, ratePerSecond);
  }

  /** The steady-state attainment of one placement at one total (mean) arrival rate (req/s). */
  public double attainment(
      Placement placement, LengthMix mix, ArrivalProcess arrivals, Slo slo, double ratePerSecond) {
    return simulator
        .run(placement, arrivals.generate(mix, ratePerSecond, settings.requests(), settings.seed()))
        .steadyState(settings.trimFraction())
        .attainment(slo);
  }

  /**
   * The plan for a target rate: the best unit placement replicated {@code k} times, from the fewest
   * copies whose goodput covers the rate, up to {@code maxCopies}, until the simulated attainment
   * at that rate meets the target (replicas do not add up exactly: dispatch across more of them
   * smooths bursts). Empty when no copy count within the limit meets it.
   */
  public Optional<Plan> size(
      PlacementScore unit,
      LengthMix mix,
      ArrivalProcess arrivals,
      Slo slo,
      double ratePerSecond,
      int maxCopies) {
    if (!(unit.goodput() > 0)) {
      return Optional.empty();
    }
    int copies = Math.max(1, (int) Math.ceil(ratePerSecond / unit.goodput() - 1e-9));
    for (; copies <= maxCopies; copies++) {
      Placement placement = replicate(unit.placement(), copies);
      double attained = attainment(placement, mix, arrivals, slo, ratePerSecond);
      if (attained >= settings.attainmentTarget()) {
        return Optional.of(new Plan(placement, ratePerSecond, attained));
      }
    }
    return Optional.empty();
  }

  static Placement replicate(Placement unit, int copies) {
    return switch (unit) {
      case Placement.Colocated c -> new Placement.Colocated(c.replicas() * copies);
      case Placement.Disaggregated d ->
          new Placement.Disaggregated(d.prefill() * copies, d.decode() * copies);
    };
  }
}
