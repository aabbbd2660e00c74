package dev.coemesh.router.filter;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/** Drops replicas whose circuit breaker is open. */
public final class HealthFilter implements Filter {
  @Override
  public String name() {
    return "health";
  }

  @Override
  public List<ReplicaView> filter(RouteContext request, List<ReplicaView> candidates) {
    return candidates.stream().filter(r -> !r.breakerOpen()).toList();
  }
}
