package dev.coemesh.planner.search;

/**
 * DistServe's rate bisection (ALGORITHMS.md 2.2): {@code requests} arrivals from {@code seed}; the
 * per-replica rate is searched in {@code [0, maxRatePerReplica]} until the interval is narrower
 * than {@code epsilon} (req/s); a rate passes when attainment &gt;= {@code attainmentTarget}.
 * Attainment counts the requests left after dropping the first and last {@code trimFraction} of
 * each probe (warm-up and drain; see {@link dev.coemesh.planner.sim.SimulationResult#steadyState}).
 */
public record SearchSettings(
    int requests,
    long seed,
    double maxRatePerReplica,
    double epsilon,
    double attainmentTarget,
    double trimFraction) {
  public SearchSettings {
    if (requests < 1) {
      throw new IllegalArgumentException("requests must be >= 1: " + requests);
    }
    if (!(maxRatePerReplica > 0) || !(epsilon > 0) || epsilon >= maxRatePerReplica) {
      throw new IllegalArgumentException("need 0 < epsilon < maxRatePerReplica");
    }
    if (!(attainmentTarget > 0 && attainmentTarget <= 1)) {
      throw new IllegalArgumentException("attainmentTarget must be in (0, 1]: " + attainmentTarget);
    }
    if (!(trimFraction >= 0 && trimFraction < 0.5)) {
      throw new IllegalArgumentException("trimFraction must be in [0, 0.5): " + trimFraction);
    }
  }

  /** Settings that judge every request of a probe (DistServe's). */
  public SearchSettings(
      int requests, long seed, double maxRatePerReplica, double epsilon, double attainmentTarget) {
    this(requests, seed, maxRatePerReplica, epsilon, attainmentTarget, 0);
  }

  /** DistServe's defaults: 300 requests, seed 0, up to 5 req/s per GPU, eps 0.25, 90%. */
  public static SearchSettings distServe() {
    return new SearchSettings(300, 0, 5, 0.25, 0.9);
  }

  /**
   * Steady-state probes: 3000 requests, the first and last 10% not judged, per-replica rates up to
   * 32 req/s, eps 0.25, 90%. Long enough that goodput per replica no longer grows with the replica
   * count (planner/README.md).
   */
  public static SearchSettings steadyState() {
    return new SearchSettings(3000, 0, 32, 0.25, 0.9, 0.1);
  }
}
