package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * The least loaded candidate scores 1 and the most loaded 0, linearly between ({@code (max - load)
 * / (max - min)}; all equal: 1). Load is {@link ReplicaView#load()}: the sequences the replica
 * reported running or waiting, plus the requests placed on it since that report, so that a burst
 * between two reports does not pile onto the replica that looked idle in the last one.
 */
public final class LoadScorer implements Scorer {
  @Override
  public String name() {
    return "load";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (ReplicaView r : candidates) {
      min = Math.min(min, r.load());
      max = Math.max(max, r.load());
    }
    return max == min ? 1 : (double) (max - replica.load()) / (max - min);
  }
}
