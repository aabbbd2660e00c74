package dev.coemesh.planner.search;

/**
 * DistServe's rate bisection (ALGORITHMS.md 2.2): {@code requests} Poisson arrivals from {@code
 * seed}; the per-replica rate is searched in {@code [0, maxRatePerReplica]} until the interval is
 * narrower than {@code epsilon} (req/s); a rate passes when attainment &gt;= {@code
 * attainmentTarget}.
 */
public record SearchSettings(
    int requests, long seed, double maxRatePerReplica, double epsilon, double attainmentTarget) {
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
  }

  /** DistServe's defaults: 300 requests, seed 0, up to 5 req/s per GPU, eps 0.25, 90%. */
  public static SearchSettings distServe() {
    return new SearchSettings(300, 0, 5, 0.25, 0.9);
  }
}
