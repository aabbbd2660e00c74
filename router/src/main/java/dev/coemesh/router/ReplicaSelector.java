package dev.coemesh.router;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.filter.Filter;
import dev.coemesh.router.picker.Picker;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.router.scorer.Scorer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 2 of routing: filters, then weighted scorers (each in [0, 1], combined as a weighted mean),
 * then one picker. Thread-safe when its plugins are.
 */
public final class ReplicaSelector {
  /** A scorer and its weight (>= 0). */
  public record Weighted(Scorer scorer, double weight) {
    public Weighted {
      if (!(weight >= 0)) {
        throw new IllegalArgumentException("scorer weight must be >= 0, was " + weight);
      }
    }
  }

  /** The decision with each scorer's score of the chosen replica, for decision records. */
  public record Selection(ReplicaView replica, double score, Map<String, Double> scores) {}

  private final List<Filter> filters;
  private final List<Weighted> scorers;
  private final Picker picker;
  private final double totalWeight;

  public ReplicaSelector(List<Filter> filters, List<Weighted> scorers, Picker picker) {
    this.filters = List.copyOf(filters);
    this.scorers = List.copyOf(scorers);
    this.picker = picker;
    this.totalWeight = scorers.stream().mapToDouble(Weighted::weight).sum();
  }

  public Selection select(RouteContext request, List<ReplicaView> replicas) {
    List<ReplicaView> candidates = replicas;
    for (Filter filter : filters) {
      candidates = filter.filter(request, candidates);
      if (candidates.isEmpty()) {
        throw new MeshException(
            ErrorCode.NO_HEALTHY_REPLICA,
            "no replica of " + request.expert() + " passes the " + filter.name() + " filter");
      }
    }
    double[] totals = new double[candidates.size()];
    double[][] parts = new double[candidates.size()][scorers.size()];
    for (int i = 0; i < candidates.size(); i++) {
      double sum = 0;
      for (int s = 0; s < scorers.size(); s++) {
        double score = clamp(scorers.get(s).scorer().score(request, candidates.get(i), candidates));
        parts[i][s] = score;
        sum += score * scorers.get(s).weight();
      }
      totals[i] = totalWeight == 0 ? 0 : sum / totalWeight;
    }
    ReplicaView chosen = picker.pick(candidates, totals);
    int index = candidates.indexOf(chosen);
    Map<String, Double> scores = new LinkedHashMap<>();
    for (int s = 0; s < scorers.size(); s++) {
      scores.put(scorers.get(s).scorer().name(), parts[index][s]);
    }
    return new Selection(chosen, totals[index], scores);
  }

  private static double clamp(double v) {
    return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
  }
}
