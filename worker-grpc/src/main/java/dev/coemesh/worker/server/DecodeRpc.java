package dev.coemesh.worker.server;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.worker.KvHandoff;
import dev.coemesh.pool.worker.PrefillResult;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.trace.ServedSpan;
import dev.coemesh.worker.trace.WorkerTracing;
import dev.coemesh.worker.v1.DecodeGrpc;
import dev.coemesh.worker.v1.DecodeRequest;
import dev.coemesh.worker.v1.TokenReply;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * {@code Decode}: pulls the request's KV from the store (pipelined), imports it into the batch and
 * streams the tokens after the ones the client already has. Without a usable KV it recomputes the
 * prompt and names the reason in {@code Finished.fallback_reason}. The KV is deleted once consumed
 * or when the call is cancelled.
 */
public class DecodeRpc extends DecodeGrpc.DecodeImplBase {
  private final WorkerRuntime runtime;
  private final WorkerMetrics metrics;
  private final WorkerTracing tracing;

  public DecodeRpc(WorkerRuntime runtime, WorkerMetrics metrics) {
    this(runtime, metrics, WorkerTracing.noop());
  }

  public DecodeRpc(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    this.runtime = runtime;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  @Override
  public void decode(DecodeRequest request, StreamObserver<TokenReply> out) {
    Calls<TokenReply> call = new Calls<>(out);
    Calls.Started running = call.cancelsGeneration();
    ServedSpan span =
        ServedSpan.start(
            tracing,
            "decode",
            "decode",
            request.getRequest().getTenant(),
            request.getResumeTokenIdsCount());
    try {
      GenerationRequest generation =
          Requests.generation(
              request.getRequest(), request.hasSampling(), request.getSampling(), call.deadline());
      int[] prompt =
          Requests.nonEmpty(runtime, request.getPromptTokenIdsList(), "prompt_token_ids");
      int[] resume =
          Requests.nonEmpty(runtime, request.getResumeTokenIdsList(), "resume_token_ids");
      KvHandoff kv =
          WorkerMessages.handoff(request.hasKv() ? request.getKv() : null, request.getNoKvReason());
      if (kv instanceof KvHandoff.Stored(KvHandle handle, long v, long b)
          && !handle.tenant().equals(generation.tenant())) {
        throw new MeshException(
            ErrorCode.PERMISSION_DENIED, "the KV handle belongs to another tenant", "kv", null);
      }
      PrefillResult prefill =
          new PrefillResult(
              prompt,
              new TokenEvent.Token(0, resume[0], "", Double.NaN, List.of()),
              null,
              kv,
              Double.NaN,
              Double.NaN,
              Double.NaN,
              0);
      span.prompt(prompt.length);
      TokenStream sink =
          new TokenStream(call, f -> metrics.served(WorkerMetrics.Mode.DECODE, f.timings()), span);
      ExpertBackend.Generation started =
          runtime
              .decode()
              .decode(
                  generation,
                  prefill,
                  resume,
                  sink,
                  reason -> {
                    sink.fallback(reason);
                    metrics.fallback(reason);
                  });
      running.started(started);
    } catch (RuntimeException e) {
      span.failed(GrpcStatuses.errorType(e), e.getMessage());
      call.fail(e);
    }
  }
}
