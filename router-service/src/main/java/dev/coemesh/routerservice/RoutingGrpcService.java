package dev.coemesh.routerservice;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import dev.coemesh.routerservice.grpc.v1.RouteDecision;
import dev.coemesh.routerservice.grpc.v1.RoutingGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/**
 * gRPC front of the router ({@code coemesh.v1.Routing/Route}); errors carry the status of their
 * {@link dev.coemesh.core.error.ErrorCode} and its message. Blocking: the embedding takes
 * milliseconds of CPU and must not run on an event loop.
 */
@GrpcService
@Blocking
public class RoutingGrpcService extends RoutingGrpc.RoutingImplBase {
  private final Router router;
  private final MeterRegistry meters;

  public RoutingGrpcService(Router router, MeterRegistry meters) {
    this.router = router;
    this.meters = meters;
  }

  @Override
  public void route(
      dev.coemesh.routerservice.grpc.v1.RouteRequest request,
      StreamObserver<RouteDecision> response) {
    DecisionView d;
    try {
      d = RouteDecisions.decide(router, toRequest(request), meters);
    } catch (MeshException e) {
      response.onError(
          Status.fromCode(Status.Code.valueOf(e.code().grpcStatus()))
              .withDescription(e.getMessage())
              .asRuntimeException());
      return;
    }
    response.onNext(toMessage(d));
    response.onCompleted();
  }

  static RouteRequest toRequest(dev.coemesh.routerservice.grpc.v1.RouteRequest r) {
    int[] tokens = new int[r.getTokenIdsCount()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.getTokenIds(i);
      if (tokens[i] < 0) { // a uint32 above Integer.MAX_VALUE
        throw MeshException.invalid("token_ids", "'token_ids' holds an id out of range");
      }
    }
    long[] hashes = new long[r.getBlockHashesCount()];
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = r.getBlockHashes(i);
    }
    if (r.getPromptTokens() < 0) { // a uint32 above Integer.MAX_VALUE
      throw MeshException.invalid("prompt_tokens", "'prompt_tokens' is out of range");
    }
    return new RouteRequest(
        r.getRequestId(),
        r.getPrompt(),
        emptyToNull(r.getModel()),
        emptyToNull(r.getCategory()),
        emptyToNull(r.getSession()),
        tokens,
        hashes,
        r.getPromptTokens());
  }

  static RouteDecision toMessage(DecisionView d) {
    RouteDecision.Builder b =
        RouteDecision.newBuilder()
            .setRequestId(d.requestId())
            .setConfidence(d.confidence())
            .setReason(d.reason())
            .setExpert(d.expert())
            .setSourceType(d.sourceType())
            .setMode(d.mode())
            .setCachedPrefixBlocks(d.cachedPrefixBlocks())
            .putAllScores(d.scores());
    if (d.category() != null) {
      b.setCategory(d.category());
    }
    if (d.upstreamUrl() != null) {
      b.setUpstreamUrl(d.upstreamUrl()).setUpstreamModel(d.upstreamModel());
    }
    if (d.tier() != null) {
      b.setTier(d.tier());
    }
    if (d.replica() != null) {
      b.setReplica(d.replica());
    }
    if (d.decodeReplica() != null) {
      b.setDecodeReplica(d.decodeReplica());
    }
    return b.build();
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
