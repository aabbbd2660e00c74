package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * {@code 1 - queue/maxQueue} over the candidates: the emptiest queue scores 1 (all empty: all 1).
 */
public final class QueueDepthScorer implements Scorer {
  @Override
  public String name() {
    return "queue";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    int max = 0;
    for (ReplicaView r : candidates) {
      max = Math.max(max, r.queueDepth());
    }
    return max == 0 ? 1 : 1 - (double) replica.queueDepth() / max;
  }
}
