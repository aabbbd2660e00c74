package dev.coemesh.gateway.grpc;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.error.GrpcErrors;
import dev.coemesh.gateway.grpc.v1.GenerateRequest;
import dev.coemesh.gateway.grpc.v1.GenerateResponse;
import dev.coemesh.gateway.grpc.v1.InferenceGrpc;
import dev.coemesh.gateway.grpc.v1.ListModelsRequest;
import dev.coemesh.gateway.grpc.v1.ListModelsResponse;
import dev.coemesh.gateway.grpc.v1.Model;
import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestHandle;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.serve.ExpertPool;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Provider;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code coemesh.v1.Inference}: the same request lifecycle as the REST API behind a gRPC stream.
 * Cancelling the call (or its deadline) cancels the request in the engine.
 */
@GrpcService
public class InferenceGrpcService extends InferenceGrpc.InferenceImplBase {
  private static final RequestHandle CANCELLED = () -> {};

  // Providers: the gRPC server collects its services on an event loop at start-up, and building the
  // experts and the router (classifier training, model loading) there would block it for seconds;
  // ExpertGauges builds them on the main thread at start-up instead.
  private final Provider<RequestOrchestrator> orchestrator;
  private final Provider<ExpertDirectory> experts;
  private final RequestMetrics metrics;

  public InferenceGrpcService(
      Provider<RequestOrchestrator> orchestrator,
      Provider<ExpertDirectory> experts,
      RequestMetrics metrics) {
    this.orchestrator = orchestrator;
    this.experts = experts;
    this.metrics = metrics;
  }

  @Override
  @Blocking
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    Tenant tenant = ApiKeyInterceptor.TENANT.get();
    ClientRequest parsed;
    try {
      parsed = GrpcRequests.parse(request).withPriority(ApiKeyInterceptor.PRIORITY.get());
    } catch (MeshException e) {
      metrics.refused(e.code().wireCode());
      out.onError(GrpcErrors.toException(e, 0));
      return;
    }
    AtomicReference<RequestHandle> handle = new AtomicReference<>();
    Runnable cancel =
        () -> {
          RequestHandle h = handle.getAndSet(CANCELLED);
          if (h != null && h != CANCELLED) {
            h.cancel();
          }
        };
    // called when the client cancels, its deadline passes or the connection drops
    if (out instanceof ServerCallStreamObserver<GenerateResponse> call) {
      call.setOnCancelHandler(cancel::run);
    } else {
      Context.current().addListener(ctx -> cancel.run(), Runnable::run);
    }
    orchestrator
        .get()
        .start(
            tenant,
            parsed,
            new GrpcStreamListener(out),
            created -> {
              if (!handle.compareAndSet(null, created)) {
                created.cancel(); // the call ended while it was being parsed
              }
            });
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> out) {
    ListModelsResponse.Builder models = ListModelsResponse.newBuilder();
    for (ExpertPool b : experts.get().all()) {
      models.addModels(
          Model.newBuilder().setId(b.expert().value()).setContextLength(b.contextLength()));
    }
    models.addModels(Model.newBuilder().setId(ClientRequest.AUTO));
    out.onNext(models.build());
    out.onCompleted();
  }
}
