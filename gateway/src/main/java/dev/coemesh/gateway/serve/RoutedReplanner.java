package dev.coemesh.gateway.serve;

import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import dev.coemesh.worker.client.Replanner;
import java.util.Set;

/**
 * Failover decisions of one request, made by the router like the first one: the same request and
 * expert, placed again without the replicas that failed it. Outcomes feed the replicas' circuit
 * breakers.
 */
public record RoutedReplanner(Router router, RouteRequest request, ExpertChoice choice)
    implements Replanner {

  /** The first placement of the request, with why the router made it. */
  public RouteDecision place() {
    return router.place(request, choice, Set.of());
  }

  @Override
  public Placement replan(Set<ReplicaId> failed) {
    return router.place(request, choice, failed).placement();
  }

  @Override
  public void outcome(ReplicaId replica, boolean success) {
    router.recordOutcome(replica, success);
  }
}
