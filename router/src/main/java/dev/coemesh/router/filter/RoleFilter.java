package dev.coemesh.router.filter;

import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Keeps replicas of the role the request needs (colocated, prefill, decode). A request to serve
 * colocated may also run on a decode replica when the pool has no colocated one: every worker
 * serves whole generations, so a disaggregated pool still serves the short prompts its decider
 * keeps colocated, and requests whose prefill replicas are all down.
 */
public final class RoleFilter implements Filter {
  @Override
  public String name() {
    return "role";
  }

  @Override
  public List<ReplicaView> filter(RouteContext request, List<ReplicaView> candidates) {
    List<ReplicaView> exact =
        candidates.stream().filter(r -> r.id().role() == request.role()).toList();
    if (!exact.isEmpty() || request.role() != ReplicaRole.COLOCATED) {
      return exact;
    }
    return candidates.stream().filter(r -> r.id().role() == ReplicaRole.DECODE).toList();
  }
}
