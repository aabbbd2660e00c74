package dev.coemesh.worker.client;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.trace.MeshAttributes;
import dev.coemesh.worker.trace.WorkerTracing;
import dev.coemesh.worker.v1.DecodeRequest;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.PrefillReply;
import dev.coemesh.worker.v1.PrefillRequest;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.TokenIds;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Executes a routed {@link Placement} on remote worker replicas over gRPC, with failover: the one
 * client the gateway uses for worker pools.
 *
 * <ul>
 *   <li>{@code Colocated}: {@code Generate} on that replica.
 *   <li>{@code Disaggregated}: {@code Prefill} on the prefill replica (first token and KV handle),
 *       then {@code Decode} on the decode replica, which pulls the KV from the store.
 * </ul>
 *
 * When a replica fails (it died, is unreachable, lost its engine), the router is asked for a new
 * placement without it ({@link Replanner}) and the request resumes there after the tokens the
 * client already has: a decode replica from the same KV handle, a colocated one by recomputing the
 * prompt plus those tokens. Both continue the same sequence (greedy and seeded sampling alike) with
 * token indices starting where the client's stream stopped, so no token is duplicated or missing. A
 * prefill replica that fails before its reply is replaced the same way (by another prefill replica
 * or a colocated one). Client mistakes are never retried.
 *
 * <p>Thread-safe; events reach the sink in order, one terminal event last.
 */
public final class PlacementClient {
  /** Failures after which another replica may succeed. */
  private static final Set<ErrorCode> RETRYABLE =
      Set.of(
          ErrorCode.NO_HEALTHY_REPLICA,
          ErrorCode.INTERNAL,
          ErrorCode.CAPACITY_EXHAUSTED,
          ErrorCode.KV_STORE_UNAVAILABLE);

  private final WorkerDirectory directory;
  private final int maxAttempts;
  private final Tracer tracer;
  private final AtomicLong failovers = new AtomicLong();

  /**
   * @param maxAttempts replicas tried per request at most, the placed one included
   */
  public PlacementClient(WorkerDirectory directory, int maxAttempts) {
    this(directory, maxAttempts, WorkerTracing.noop());
  }

  /**
   * As above; each call to a replica is a client span under the span current at {@link #execute} (a
   * failover is a second call span in the same trace).
   */
  public PlacementClient(WorkerDirectory directory, int maxAttempts, WorkerTracing tracing) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("need at least one attempt");
    }
    this.directory = directory;
    this.maxAttempts = maxAttempts;
    this.tracer = tracing.tracer();
  }

  /** Requests moved to another replica after a failure, since start. */
  public long failovers() {
    return failovers.get();
  }

  /**
   * Runs {@code request} (tokenized: its {@code promptTokens} are sent, never its text) where
   * {@code placement} says. Never throws for the request's own failures: they reach {@code sink}.
   */
  public ExpertBackend.Generation execute(
      Placement placement,
      GenerationRequest request,
      Replanner replanner,
      Consumer<TokenEvent> sink) {
    if (!request.tokenized()) {
      throw new IllegalArgumentException("worker placements carry token ids; tokenize first");
    }
    Run run = new Run(request, replanner, new ClientTimings(sink));
    run.start(placement);
    return run::cancel;
  }

  /** One request's attempts. Guarded by its monitor: events and failover do not interleave. */
  private final class Run {
    private final GenerationRequest request;
    private final RequestRef ref;
    private final Replanner replanner;
    private final ClientTimings client;
    private final List<Integer> delivered = new ArrayList<>();
    private final Set<ReplicaId> failed = new LinkedHashSet<>();
    private final Context parent = Context.current();
    private Span inFlight; // the span of the call to a replica now in flight
    private String lastFailure; // the error the previous call failed with
    private int attempt;
    private PrefillReply prefilled;
    private ExpertBackend.Generation current;
    private boolean cancelled;
    private boolean done;

    Run(GenerationRequest request, Replanner replanner, ClientTimings client) {
      this.request = request;
      this.ref = WorkerMessages.ref(request.id(), request.tenant(), request.prefixRoot());
      this.replanner = replanner;
      this.client = client;
    }

    synchronized void start(Placement placement) {
      attempt++;
      switch (placement) {
        case Placement.Upstream _ ->
            finish(
                new TokenEvent.Failed(
                    ErrorCode.INTERNAL, "an upstream placement is not served by worker replicas"));
        case Placement.Colocated c -> generate(c.replica());
        case Placement.Disaggregated d -> {
          if (prefilled == null) {
            prefill(d.prefill(), d.decode());
          } else {
            decode(d.decode());
          }
        }
      }
    }

    private void generate(ReplicaId replica) {
      int myAttempt = attempt;
      RemoteStream<GenerateRequest> stream =
          new RemoteStream<>(e -> onEvent(myAttempt, replica, e));
      current = stream;
      try (Scope ignored = callSpan("generate", replica, "colocated")) {
        WorkerClient worker = directory.client(replica);
        withDeadline(worker.colocated())
            .generate(
                GenerateRequest.newBuilder()
                    .setRequest(ref)
                    .setTokenIds(
                        TokenIds.newBuilder()
                            .addAllIds(WorkerMessages.list(request.promptTokens())))
                    .setSampling(WorkerMessages.sampling(request.sampling()))
                    .addAllResumeTokenIds(delivered)
                    .build(),
                stream);
      } catch (MeshException e) {
        onEvent(myAttempt, replica, new TokenEvent.Failed(e.code(), e.getMessage()));
      }
    }

    private void prefill(ReplicaId prefillReplica, ReplicaId decodeReplica) {
      int myAttempt = attempt;
      PrefillCall call = new PrefillCall(myAttempt, prefillReplica, decodeReplica);
      current = call;
      try (Scope ignored = callSpan("prefill", prefillReplica, "disaggregated")) {
        WorkerClient worker = directory.client(prefillReplica);
        withDeadline(worker.prefill())
            .prefill(
                PrefillRequest.newBuilder()
                    .setRequest(ref)
                    .setTokenIds(
                        TokenIds.newBuilder()
                            .addAllIds(WorkerMessages.list(request.promptTokens())))
                    .setSampling(WorkerMessages.sampling(request.sampling()))
                    .build(),
                call);
      } catch (MeshException e) {
        onEvent(myAttempt, prefillReplica, new TokenEvent.Failed(e.code(), e.getMessage()));
      }
    }

    /** The prefill replica answered: deliver the first token and continue on the decode replica. */
    synchronized void prefilled(
        int fromAttempt, ReplicaId prefillReplica, ReplicaId decodeReplica, PrefillReply reply) {
      if (done || fromAttempt != attempt) {
        return;
      }
      if (cancelled) {
        // the reply won the race with the cancel: nobody decodes, the KV expires with its TTL
        finish(RemoteStream.terminal(null, true));
        return;
      }
      replanner.outcome(prefillReplica, true);
      inFlight.setAttribute(
          MeshAttributes.CODEC_LEVEL,
          reply.hasKv() ? Integer.toString(reply.getKv().getLevel()) : "text");
      endCall(null);
      client.prefill(WorkerMessages.timings(reply.getTimings()));
      if (reply.hasFirst()) {
        deliver(WorkerMessages.token(reply.getFirst()));
      }
      if (reply.hasFinished()) {
        finish(WorkerMessages.finished(reply.getFinished()));
        return;
      }
      prefilled = reply;
      decode(decodeReplica);
    }

    private void decode(ReplicaId replica) {
      int myAttempt = attempt;
      RemoteStream<DecodeRequest> stream = new RemoteStream<>(e -> onEvent(myAttempt, replica, e));
      current = stream;
      DecodeRequest.Builder call =
          DecodeRequest.newBuilder()
              .setRequest(ref)
              .addAllPromptTokenIds(prefilled.getPromptTokenIdsList())
              .setSampling(WorkerMessages.sampling(request.sampling()))
              .addAllResumeTokenIds(delivered);
      if (prefilled.hasKv()) {
        call.setKv(prefilled.getKv());
      }
      call.setNoKvReason(prefilled.getNoKvReason());
      try (Scope ignored = callSpan("decode", replica, "disaggregated")) {
        withDeadline(directory.client(replica).decode()).decode(call.build(), stream);
      } catch (MeshException e) {
        onEvent(myAttempt, replica, new TokenEvent.Failed(e.code(), e.getMessage()));
      }
    }

    synchronized void onEvent(int fromAttempt, ReplicaId replica, TokenEvent event) {
      if (done || fromAttempt != attempt) {
        return; // a late event of an abandoned attempt
      }
      switch (event) {
        case TokenEvent.Token t -> deliver(t);
        case TokenEvent.ToolCallDelta d -> {} // workers run the mesh's engine: no tool calls
        case TokenEvent.Finished f -> {
          replanner.outcome(replica, true);
          finish(f);
        }
        case TokenEvent.Failed f -> {
          if (cancelled || !RETRYABLE.contains(f.code())) {
            finish(f);
            return;
          }
          endCall(f);
          lastFailure = f.code().wireCode();
          replanner.outcome(replica, false);
          failed.add(replica);
          if (attempt >= maxAttempts) {
            finish(f);
            return;
          }
          Placement next;
          try (Scope ignored = parent.makeCurrent()) { // the new routing decision joins the trace
            next = replanner.replan(Set.copyOf(failed));
          } catch (MeshException e) {
            finish(
                new TokenEvent.Failed(
                    f.code(), f.message() + "; no replacement: " + e.getMessage()));
            return;
          }
          failovers.incrementAndGet();
          start(next);
        }
      }
    }

    private void deliver(TokenEvent.Token t) {
      if (t.index() != delivered.size()) {
        return; // never deliver a duplicate or out-of-order token
      }
      delivered.add(t.tokenId());
      client.accept(t);
    }

    private void finish(TokenEvent terminal) {
      done = true;
      endCall(terminal instanceof TokenEvent.Failed f ? f : null);
      client.accept(terminal);
    }

    /** Opens the span of a call to {@code replica}, current while the call starts. */
    private Scope callSpan(String operation, ReplicaId replica, String placement) {
      SpanBuilder builder =
          tracer
              .spanBuilder("call." + operation)
              .setSpanKind(SpanKind.CLIENT)
              .setParent(parent)
              .setAttribute(MeshAttributes.REPLICA, replica.toString())
              .setAttribute(MeshAttributes.PLACEMENT, placement)
              .setAttribute(MeshAttributes.ATTEMPT, (long) attempt)
              .setAttribute(MeshAttributes.RESUMED_TOKENS, (long) delivered.size());
      if (lastFailure != null) {
        builder.setAttribute(MeshAttributes.FAILOVER_FROM, lastFailure);
      }
      inFlight = builder.startSpan();
      return inFlight.makeCurrent();
    }

    /** Ends the call span in flight, as failed when {@code failure} is set. */
    private void endCall(TokenEvent.Failed failure) {
      if (inFlight == null) {
        return;
      }
      if (failure != null) {
        inFlight.setAttribute(MeshAttributes.ERROR_TYPE, failure.code().wireCode());
        inFlight.setStatus(StatusCode.ERROR, failure.message());
      }
      inFlight.setAttribute(MeshAttributes.OUTPUT_TOKENS, (long) delivered.size());
      inFlight.end();
      inFlight = null;
    }

    synchronized void cancel() {
      if (done || cancelled) {
        return;
      }
      cancelled = true;
      if (current != null) {
        current.cancel();
      }
      if (inFlight != null) {
        inFlight.addEvent("cancelled");
      }
    }

    private <S extends io.grpc.stub.AbstractStub<S>> S withDeadline(S stub) {
      long left = Duration.between(Instant.now(), request.deadline()).toNanos();
      return stub.withDeadlineAfter(Math.max(1, left), TimeUnit.NANOSECONDS);
    }

    /** The prefill call of one attempt. */
    private final class PrefillCall
        implements ClientResponseObserver<PrefillRequest, PrefillReply>, ExpertBackend.Generation {
      private final int myAttempt;
      private final ReplicaId prefillReplica;
      private final ReplicaId decodeReplica;
      private volatile ClientCallStreamObserver<PrefillRequest> call;
      private volatile boolean callCancelled;

      PrefillCall(int myAttempt, ReplicaId prefillReplica, ReplicaId decodeReplica) {
        this.myAttempt = myAttempt;
        this.prefillReplica = prefillReplica;
        this.decodeReplica = decodeReplica;
      }

      @Override
      public void beforeStart(ClientCallStreamObserver<PrefillRequest> requestStream) {
        call = requestStream;
      }

      @Override
      public void onNext(PrefillReply reply) {
        prefilled(myAttempt, prefillReplica, decodeReplica, reply);
      }

      @Override
      public void onError(Throwable t) {
        onEvent(myAttempt, prefillReplica, RemoteStream.terminal(t, callCancelled));
      }

      @Override
      public void onCompleted() {
        // the reply (onNext) carried everything
      }

      @Override
      public void cancel() {
        callCancelled = true;
        ClientCallStreamObserver<PrefillRequest> c = call;
        if (c != null) {
          c.cancel("cancelled by the client", null);
        }
      }
    }
  }
}
