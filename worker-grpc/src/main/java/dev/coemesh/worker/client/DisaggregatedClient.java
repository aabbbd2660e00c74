package dev.coemesh.worker.client;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.scheduler.SequenceReplica;
import dev.coemesh.pool.scheduler.SequenceRequest;
import dev.coemesh.pool.worker.GenerationOrchestrator;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.DecodeRequest;
import dev.coemesh.worker.v1.PrefillReply;
import dev.coemesh.worker.v1.PrefillRequest;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.TokenIds;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Disaggregated serving over remote replicas: {@code Prefill} on a prefill replica (first token and
 * KV handle), then {@code Decode} on a decode replica, which pulls the KV from the store. The
 * client's stream is the first token followed by the decode stream. When the decode replica fails
 * mid-stream, the next one resumes after the tokens the client already has, from the same KV handle
 * (the KV is deleted only by the replica that finishes the request). Thread-safe.
 */
public final class DisaggregatedClient {
  private final List<WorkerClient> prefill;
  private final List<WorkerClient> decode;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger failovers = new AtomicInteger();

  public DisaggregatedClient(List<WorkerClient> prefill, List<WorkerClient> decode) {
    if (prefill.isEmpty() || decode.isEmpty()) {
      throw new IllegalArgumentException("need at least one prefill and one decode replica");
    }
    this.prefill = List.copyOf(prefill);
    this.decode = List.copyOf(decode);
  }

  /** Decode streams resumed on another replica so far. */
  public int failovers() {
    return failovers.get();
  }

  public ExpertBackend.Generation generate(
      RequestId id,
      TenantId tenant,
      int[] prompt,
      SamplingParams sampling,
      Consumer<TokenEvent> client) {
    int turn = next.getAndIncrement();
    Flow flow =
        new Flow(
            WorkerMessages.ref(id, tenant),
            sampling,
            new ClientTimings(client),
            prefill.get(Math.floorMod(turn, prefill.size())),
            turn);
    flow.start(prompt);
    return flow::cancel;
  }

  /** One request: the prefill call, then the decode attempts. Guarded by its monitor. */
  private final class Flow implements ClientResponseObserver<PrefillRequest, PrefillReply> {
    private final RequestRef ref;
    private final SamplingParams sampling;
    private final ClientTimings client;
    private final WorkerClient prefillReplica;
    private final int turn;
    private ClientCallStreamObserver<PrefillRequest> prefillCall;
    private ExpertBackend.Generation decoding;
    private boolean cancelled;
    private boolean ended;

    Flow(
        RequestRef ref,
        SamplingParams sampling,
        ClientTimings client,
        WorkerClient prefillReplica,
        int turn) {
      this.ref = ref;
      this.sampling = sampling;
      this.client = client;
      this.prefillReplica = prefillReplica;
      this.turn = turn;
    }

    void start(int[] prompt) {
      prefillReplica
          .prefill()
          .prefill(
              PrefillRequest.newBuilder()
                  .setRequest(ref)
                  .setTokenIds(TokenIds.newBuilder().addAllIds(WorkerMessages.list(prompt)))
                  .setSampling(WorkerMessages.sampling(sampling))
                  .build(),
              this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<PrefillRequest> call) {
      prefillCall = call;
    }

    @Override
    public synchronized void onNext(PrefillReply reply) {
      client.prefill(WorkerMessages.timings(reply.getTimings()));
      if (cancelled) {
        return; // onError(CANCELLED) follows; an orphaned KV expires with its TTL
      }
      if (reply.hasFinished()) {
        ended = true;
        if (reply.hasFirst()) {
          client.accept(WorkerMessages.token(reply.getFirst()));
        }
        client.accept(WorkerMessages.finished(reply.getFinished()));
        return;
      }
      List<SequenceReplica> replicas = new ArrayList<>(decode.size());
      int first = Math.floorMod(turn, decode.size());
      for (int i = 0; i < decode.size(); i++) {
        replicas.add(new BoundDecode(decode.get((first + i) % decode.size()), ref, reply));
      }
      GenerationOrchestrator orchestrator = new GenerationOrchestrator(replicas, replicas.size());
      int[] prompt = reply.getPromptTokenIdsList().stream().mapToInt(Integer::intValue).toArray();
      decoding =
          orchestrator.generate(
              prompt,
              sampling,
              event -> {
                if (!(event instanceof TokenEvent.Token)) {
                  failovers.addAndGet(orchestrator.failovers());
                }
                client.accept(event);
              });
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (ended || decoding != null) {
        return;
      }
      ended = true;
      client.accept(RemoteStream.terminal(t, cancelled));
    }

    @Override
    public void onCompleted() {
      // the reply (onNext) carried everything
    }

    synchronized void cancel() {
      cancelled = true;
      if (decoding != null) {
        decoding.cancel();
      } else if (prefillCall != null) {
        prefillCall.cancel("cancelled by the client", null);
      }
    }
  }

  /**
   * A decode replica serving one request after its prefill: the first attempt delivers the first
   * token from the prefill reply, then streams the rest; a later attempt resumes after what the
   * client has.
   */
  private record BoundDecode(WorkerClient worker, RequestRef ref, PrefillReply prefill)
      implements SequenceReplica {
    @Override
    public String name() {
      return worker.name();
    }

    @Override
    public ExpertBackend.Generation submit(SequenceRequest request, Consumer<TokenEvent> sink) {
      int[] resume = request.resumeTokens();
      if (resume.length == 0) {
        sink.accept(WorkerMessages.token(prefill.getFirst()));
        resume = new int[] {prefill.getFirst().getTokenId()};
      }
      DecodeRequest.Builder call =
          DecodeRequest.newBuilder()
              .setRequest(ref)
              .addAllPromptTokenIds(prefill.getPromptTokenIdsList())
              .setSampling(WorkerMessages.sampling(request.sampling()))
              .addAllResumeTokenIds(WorkerMessages.list(resume));
      if (prefill.hasKv()) {
        call.setKv(prefill.getKv());
      }
      RemoteStream<DecodeRequest> stream = new RemoteStream<>(sink);
      worker.decode().decode(call.build(), stream);
      return stream;
    }
  }
}
