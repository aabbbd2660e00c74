package dev.coemesh.routerservice.epp;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.router.RouteContext;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.filter.CapacityFilter;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.routerservice.RouteDecisions;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CoE router as an Inference Extension endpoint picker: category, expert, then one replica of
 * the expert's pool, named by the host it announced on the signal bus and the pool's HTTP port.
 * Every decision goes through the router (its filters, scorers, picker and disaggregation decider,
 * its {@code router.route} span and {@code mesh.routing} signal) except one: an interactive request
 * that finds every eligible replica saturated goes to the least-loaded one instead of failing.
 */
public final class EndpointPicker {
  private static final CapacityFilter CAPACITY = new CapacityFilter();

  /**
   * What one request asks of the picker.
   *
   * @param promptTokens an estimate of the prompt's length (the picker does not tokenize)
   * @param subset the endpoints ({@code ip:port}) the data plane allows, or null for every one
   */
  public record PickRequest(
      String requestId,
      InferenceBody body,
      int promptTokens,
      Priority priority,
      Set<String> subset) {}

  /**
   * Where a request goes.
   *
   * @param endpoint {@code host:targetPort} of the replica that serves the request
   * @param replica that replica
   * @param prefillEndpoint the prefill replica's announced gRPC endpoint for a disaggregated
   *     placement, null otherwise
   * @param saturated every eligible replica was saturated and this is the least loaded
   */
  public record Pick(
      String endpoint, ReplicaId replica, String prefillEndpoint, boolean saturated) {}

  private final Router router;
  private final MeterRegistry meters;
  private final int targetPort;
  private final int shedQueueDepth;

  public EndpointPicker(Router router, MeterRegistry meters, int targetPort, int shedQueueDepth) {
    this.router = router;
    this.meters = meters;
    this.targetPort = targetPort;
    this.shedQueueDepth = shedQueueDepth;
  }

  /**
   * Picks the endpoint of one request; throws {@link MeshException}: {@code INVALID_REQUEST} (no
   * text to route on), {@code MODEL_NOT_FOUND}, {@code NO_HEALTHY_REPLICA} (no eligible endpoint,
   * or an expert served by an upstream URL) or {@code RATE_LIMITED} (shed).
   */
  public Pick pick(PickRequest request) {
    return RouteDecisions.timed(meters, () -> decide(request));
  }

  private Pick decide(PickRequest request) {
    RouteRequest route =
        new RouteRequest(
            request.requestId(),
            request.body().routingText(),
            request.body().model(),
            null,
            null,
            null,
            null,
            request.promptTokens());
    ExpertChoice choice = router.chooseExpert(route);
    RoutingConfig.Expert expert = router.config().expert(choice.expert());
    if (expert.source() instanceof RoutingConfig.ModelSource.Upstream) {
      throw upstream(expert.name().value());
    }
    Map<ReplicaId, String> endpoints = new HashMap<>();
    List<ReplicaView> eligible = new ArrayList<>();
    Set<ReplicaId> excluded = new HashSet<>();
    for (ReplicaView r : router.replicas(expert.name())) {
      if (r.id().role() == ReplicaRole.PREFILL) {
        // Not an endpoint of the pool (Envoy never sends to it, so no subset names it): the decode
        // worker calls it at its announced gRPC endpoint.
        if (r.endpoint() != null) {
          eligible.add(r);
        } else {
          excluded.add(r.id());
        }
        continue;
      }
      String endpoint = endpoint(r);
      if (endpoint != null && (request.subset() == null || request.subset().contains(endpoint))) {
        endpoints.put(r.id(), endpoint);
        eligible.add(r);
      } else {
        excluded.add(r.id());
      }
    }
    if (endpoints.isEmpty()) {
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA,
          request.subset() == null
              ? "no replica of " + expert.name() + " has announced its endpoint recently"
              : "none of the "
                  + request.subset().size()
                  + " endpoints of the subset hint serves "
                  + expert.name());
    }
    // The eligible replicas that serve whole generations (a prefill replica only hands its KV on).
    List<ReplicaView> serving =
        eligible.stream()
            .filter(r -> r.id().role() != ReplicaRole.PREFILL && !r.breakerOpen())
            .toList();
    boolean allSaturated =
        !serving.isEmpty() && serving.stream().allMatch(r -> saturated(r, request, expert));
    if (allSaturated && request.priority() == Priority.BATCH) {
      throw shed(expert.name().value(), serving.size());
    }
    RouteDecision d;
    try {
      d = router.place(route, choice, excluded);
    } catch (MeshException e) {
      if (e.code() != ErrorCode.NO_HEALTHY_REPLICA || !allSaturated) {
        throw e;
      }
      // Interactive, and the router's capacity filter left nothing: the least loaded still serves.
      ReplicaView least =
          serving.stream()
              .min(
                  Comparator.comparingInt(ReplicaView::load)
                      .thenComparing(Comparator.comparingInt(ReplicaView::kvBlocksFree).reversed()))
              .orElseThrow();
      router.registry().placed(least.id());
      return new Pick(endpoints.get(least.id()), least.id(), null, true);
    }
    RouteDecisions.count(meters, d);
    return switch (d.placement()) {
      case Placement.Upstream _ -> throw upstream(d.expert().value());
      case Placement.Colocated c -> new Pick(endpoints.get(c.replica()), c.replica(), null, false);
      case Placement.Disaggregated p -> {
        ReplicaView prefill = router.replica(p.prefill());
        yield new Pick(
            endpoints.get(p.decode()),
            p.decode(),
            prefill == null ? null : prefill.endpoint(),
            false);
      }
    };
  }

  /** The endpoint Envoy reaches a replica at: its announced host with the pool's HTTP port. */
  String endpoint(ReplicaView replica) {
    String announced = replica.endpoint();
    if (announced == null) {
      return null; // a replica in another router's process: not addressable
    }
    int colon = announced.lastIndexOf(':');
    if (colon <= 0 || announced.endsWith("]")) {
      return null;
    }
    return announced.substring(0, colon) + ":" + targetPort;
  }

  /** No room for the prompt (the router's capacity filter) or a queue at the shedding depth. */
  private boolean saturated(ReplicaView r, PickRequest request, RoutingConfig.Expert expert) {
    RouteContext context =
        new RouteContext(
            expert.name(),
            ReplicaRole.COLOCATED,
            new long[0],
            request.promptTokens(),
            expert.kvBlockSize(),
            null);
    return r.queueDepth() >= shedQueueDepth || CAPACITY.filter(context, List.of(r)).isEmpty();
  }

  private static MeshException upstream(String expert) {
    return new MeshException(
        ErrorCode.NO_HEALTHY_REPLICA,
        "expert " + expert + " is served by its upstream URL, not by this pool");
  }

  private static MeshException shed(String expert, int replicas) {
    return MeshException.openAi(
        ErrorCode.RATE_LIMITED,
        "every eligible replica of "
            + expert
            + " ("
            + replicas
            + ") is saturated and the request is sheddable; retry later",
        "rate_limit_error",
        "request_shed");
  }
}
