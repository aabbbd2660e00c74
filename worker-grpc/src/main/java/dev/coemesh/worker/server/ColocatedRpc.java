package dev.coemesh.worker.server;

import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.scheduler.SequenceRequest;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.trace.ServedSpan;
import dev.coemesh.worker.trace.WorkerTracing;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.TokenReply;
import io.grpc.stub.StreamObserver;

/**
 * {@code Generate}: both phases on this replica, streaming every token. With resume tokens it
 * continues a sequence another replica started (failover).
 */
public class ColocatedRpc extends ColocatedGrpc.ColocatedImplBase {
  private final WorkerRuntime runtime;
  private final WorkerMetrics metrics;
  private final WorkerTracing tracing;

  public ColocatedRpc(WorkerRuntime runtime, WorkerMetrics metrics) {
    this(runtime, metrics, WorkerTracing.noop());
  }

  public ColocatedRpc(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    this.runtime = runtime;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<TokenReply> out) {
    Calls<TokenReply> call = new Calls<>(out);
    Calls.Started running = call.cancelsGeneration();
    ServedSpan span =
        ServedSpan.start(
            tracing,
            "generate",
            "colocated",
            request.getRequest().getTenant(),
            request.getResumeTokenIdsCount());
    try {
      GenerationRequest generation =
          Requests.generation(
              request.getRequest(), request.hasSampling(), request.getSampling(), call.deadline());
      int[] prompt =
          Requests.prompt(
              runtime,
              request.getPromptCase() == GenerateRequest.PromptCase.TEXT,
              request.getText(),
              request.hasTokenIds() ? request.getTokenIds() : null);
      int[] resume =
          request.getResumeTokenIdsCount() == 0
              ? new int[0]
              : Requests.nonEmpty(runtime, request.getResumeTokenIdsList(), "resume_token_ids");
      span.prompt(prompt.length);
      TokenStream sink =
          new TokenStream(
              call, f -> metrics.served(WorkerMetrics.Mode.COLOCATED, f.timings()), span);
      ExpertBackend.Generation started =
          runtime
              .batcher()
              .submit(
                  new SequenceRequest(
                      prompt, generation.sampling(), resume, null, null, generation.prefixRoot()),
                  sink);
      running.started(started);
    } catch (RuntimeException e) {
      span.failed(GrpcStatuses.errorType(e), e.getMessage());
      call.fail(e);
    }
  }
}
