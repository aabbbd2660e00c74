package dev.coemesh.router.filter;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/** Keeps replicas of the role the request needs (colocated, prefill, decode). */
public final class RoleFilter implements Filter {
  @Override
  public String name() {
    return "role";
  }

  @Override
  public List<ReplicaView> filter(RouteContext request, List<ReplicaView> candidates) {
    return candidates.stream().filter(r -> r.id().role() == request.role()).toList();
  }
}
