package dev.coemesh.router.filter;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Removes replicas that must not serve the request. Contract: returns a sublist of {@code
 * candidates} in their order (possibly empty); pure, thread-safe, never blocks.
 */
public interface Filter {
  String name();

  List<ReplicaView> filter(RouteContext request, List<ReplicaView> candidates);
}
