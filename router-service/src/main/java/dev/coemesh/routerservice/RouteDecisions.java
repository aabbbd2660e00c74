package dev.coemesh.routerservice;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * One decision for any protocol (REST, gRPC, the endpoint picker), counted and timed the same way:
 * {@code mesh_router_decision_seconds{outcome}} and {@code mesh_router_decisions_total{expert,
 * reason}}.
 */
public final class RouteDecisions {
  private RouteDecisions() {}

  static DecisionView decide(Router router, RouteRequest request, MeterRegistry meters) {
    return timed(
        meters,
        () -> {
          RouteDecision d = router.route(request);
          count(meters, d);
          return DecisionView.of(d);
        });
  }

  /** Times one decision by its outcome: ok, or the error code it failed with. */
  public static <T> T timed(MeterRegistry meters, Supplier<T> decision) {
    Timer.Sample sample = Timer.start(meters);
    try {
      T d = decision.get();
      sample.stop(meters.timer("mesh_router_decision", "outcome", "ok"));
      return d;
    } catch (MeshException e) {
      sample.stop(meters.timer("mesh_router_decision", "outcome", e.code().wireCode()));
      throw e;
    }
  }

  /** Counts a decision the router made, by expert and reason. */
  public static void count(MeterRegistry meters, RouteDecision d) {
    meters
        .counter(
            "mesh_router_decisions", "expert", d.expert().value(), "reason", d.reason().label())
        .increment();
  }
}
