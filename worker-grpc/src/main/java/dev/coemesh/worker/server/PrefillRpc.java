package dev.coemesh.worker.server;

import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.worker.PrefillResult;
import dev.coemesh.pool.worker.PrefillWorker;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.trace.ServedSpan;
import dev.coemesh.worker.trace.WorkerTracing;
import dev.coemesh.worker.v1.PrefillGrpc;
import dev.coemesh.worker.v1.PrefillReply;
import dev.coemesh.worker.v1.PrefillRequest;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code Prefill}: runs the prompt, samples the first token and writes the KV to the store at the
 * level the worker's {@code HandoffController} chose, or, when it chose text, writes none and says
 * so in {@code no_kv_reason}. A call cancelled (or past its deadline) before the reply cancels the
 * engine sequence and deletes any KV written, so nothing outlives it but what the TTL would clean
 * anyway.
 */
public class PrefillRpc extends PrefillGrpc.PrefillImplBase {
  private final WorkerRuntime runtime;
  private final WorkerMetrics metrics;
  private final WorkerTracing tracing;

  public PrefillRpc(WorkerRuntime runtime, WorkerMetrics metrics) {
    this(runtime, metrics, WorkerTracing.noop());
  }

  public PrefillRpc(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    this.runtime = runtime;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  @Override
  public void prefill(PrefillRequest request, StreamObserver<PrefillReply> out) {
    Calls<PrefillReply> call = new Calls<>(out);
    ServedSpan span =
        ServedSpan.start(tracing, "prefill", "prefill", request.getRequest().getTenant(), 0);
    AtomicReference<PrefillWorker.Prefilling> running = new AtomicReference<>();
    call.onCancel(
        () -> {
          PrefillWorker.Prefilling p = running.get();
          if (p != null) {
            p.generation().cancel();
          }
        });
    try {
      GenerationRequest generation =
          Requests.generation(
              request.getRequest(), request.hasSampling(), request.getSampling(), call.deadline());
      int[] prompt =
          Requests.prompt(
              runtime,
              request.getPromptCase() == PrefillRequest.PromptCase.TEXT,
              request.getText(),
              request.hasTokenIds() ? request.getTokenIds() : null);
      span.prompt(prompt.length);
      running.set(runtime.prefill().start(generation, prompt));
    } catch (RuntimeException e) {
      span.failed(GrpcStatuses.errorType(e), e.getMessage());
      call.fail(e);
      return;
    }
    if (call.cancelled()) {
      running.get().generation().cancel();
    }
    running
        .get()
        .result()
        .whenComplete(
            (result, error) -> {
              if (error != null) {
                span.failed(GrpcStatuses.errorType(error), error.getMessage());
                call.fail(error);
                return;
              }
              span.prefilled(result, runtime.settings().kvPrecision().bytes());
              if (call.cancelled()) {
                runtime.release(result.handle());
                return;
              }
              RequestTimings timings = timings(result);
              metrics.served(WorkerMetrics.Mode.PREFILL, timings);
              call.send(reply(result, timings));
              call.complete();
            });
  }

  private static RequestTimings timings(PrefillResult r) {
    boolean shipped = r.handle() != null;
    return new RequestTimings(
        r.queueMs(),
        r.prefillMs(),
        Double.NaN,
        shipped ? r.encodeMs() : Double.NaN,
        shipped ? r.storeMs() : Double.NaN,
        Double.NaN);
  }

  private static PrefillReply reply(PrefillResult r, RequestTimings timings) {
    PrefillReply.Builder b =
        PrefillReply.newBuilder()
            .addAllPromptTokenIds(WorkerMessages.list(r.promptTokens()))
            .setTimings(WorkerMessages.timings(timings));
    if (r.first() != null) {
      b.setFirst(WorkerMessages.token(r.first()));
    }
    if (r.end() instanceof TokenEvent.Finished f) {
      b.setFinished(WorkerMessages.finished(f, ""));
    }
    if (r.handle() != null) {
      b.setKv(WorkerMessages.handle(r.handle()));
    }
    if (r.kv() != null) {
      b.setNoKvReason(WorkerMessages.noKvReason(r.kv()));
    }
    return b.build();
  }
}
