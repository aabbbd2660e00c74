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
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.TokenIds;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Colocated serving over remote replicas ({@code Generate}), with failover: a replica failing
 * mid-stream is replaced by the next, which resumes after the tokens the client already has.
 * Replicas are tried round-robin. Thread-safe.
 */
public final class ColocatedClient {
  private final List<WorkerClient> replicas;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger failovers = new AtomicInteger();

  public ColocatedClient(List<WorkerClient> replicas) {
    if (replicas.isEmpty()) {
      throw new IllegalArgumentException("need at least one replica");
    }
    this.replicas = List.copyOf(replicas);
  }

  /** Streams resumed on another replica so far. */
  public int failovers() {
    return failovers.get();
  }

  public ExpertBackend.Generation generate(
      RequestId id,
      TenantId tenant,
      int[] prompt,
      SamplingParams sampling,
      Consumer<TokenEvent> client) {
    RequestRef ref = WorkerMessages.ref(id, tenant);
    List<SequenceReplica> bound = new ArrayList<>(replicas.size());
    int first = Math.floorMod(next.getAndIncrement(), replicas.size());
    for (int i = 0; i < replicas.size(); i++) {
      bound.add(new Bound(replicas.get((first + i) % replicas.size()), ref));
    }
    GenerationOrchestrator orchestrator = new GenerationOrchestrator(bound, bound.size());
    ClientTimings timed = new ClientTimings(client);
    return orchestrator.generate(
        prompt,
        sampling,
        event -> {
          if (!(event instanceof TokenEvent.Token)) {
            failovers.addAndGet(orchestrator.failovers());
          }
          timed.accept(event);
        });
  }

  /** One replica serving one request's sequence. */
  private record Bound(WorkerClient worker, RequestRef ref) implements SequenceReplica {
    @Override
    public String name() {
      return worker.name();
    }

    @Override
    public ExpertBackend.Generation submit(SequenceRequest request, Consumer<TokenEvent> sink) {
      RemoteStream<GenerateRequest> stream = new RemoteStream<>(sink);
      worker
          .colocated()
          .generate(
              GenerateRequest.newBuilder()
                  .setRequest(ref)
                  .setTokenIds(
                      TokenIds.newBuilder().addAllIds(WorkerMessages.list(request.promptTokens())))
                  .setSampling(WorkerMessages.sampling(request.sampling()))
                  .addAllResumeTokenIds(WorkerMessages.list(request.resumeTokens()))
                  .build(),
              stream);
      return stream;
    }
  }
}
