package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Rates one candidate in [0, 1], higher is better; {@code candidates} (which contains it) allows
 * relative scores. Pure, thread-safe, never blocks.
 */
public interface Scorer {
  String name();

  double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates);
}
