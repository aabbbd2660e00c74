package dev.coemesh.routerservice;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** One decision for either protocol, counted and timed the same way. */
final class RouteDecisions {
  private RouteDecisions() {}

  static DecisionView decide(Router router, RouteRequest request, MeterRegistry meters) {
    Timer.Sample sample = Timer.start(meters);
    try {
      RouteDecision d = router.route(request);
      sample.stop(meters.timer("mesh_router_decision", "outcome", "ok"));
      meters
          .counter(
              "mesh_router_decisions", "expert", d.expert().value(), "reason", d.reason().label())
          .increment();
      return DecisionView.of(d);
    } catch (MeshException e) {
      sample.stop(meters.timer("mesh_router_decision", "outcome", e.code().wireCode()));
      throw e;
    }
  }
}
