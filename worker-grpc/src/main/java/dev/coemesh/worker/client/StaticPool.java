package dev.coemesh.worker.client;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.TenantId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A fixed set of worker replicas placed round-robin, without a router: the baseline placement of
 * the benchmarks and the harness of the worker process tests. The mesh itself never uses it (its
 * router places every request). A failed replica is replaced by the next one of the same role.
 * Thread-safe.
 */
public final class StaticPool implements WorkerDirectory {
  private final ExpertId expert;
  private final Map<ReplicaId, WorkerClient> workers = new LinkedHashMap<>();
  private final List<ReplicaId> colocated = new ArrayList<>();
  private final List<ReplicaId> prefill = new ArrayList<>();
  private final List<ReplicaId> decode = new ArrayList<>();
  private final AtomicInteger turn = new AtomicInteger();
  private final PlacementClient client;

  /**
   * @param colocatedWorkers replicas serving whole requests ({@code Generate})
   * @param prefillWorkers prefill replicas, paired round-robin with {@code decodeWorkers}
   */
  public StaticPool(
      List<WorkerClient> colocatedWorkers,
      List<WorkerClient> prefillWorkers,
      List<WorkerClient> decodeWorkers) {
    this.expert = new ExpertId("static");
    add(ReplicaRole.COLOCATED, colocatedWorkers, colocated);
    add(ReplicaRole.PREFILL, prefillWorkers, prefill);
    add(ReplicaRole.DECODE, decodeWorkers, decode);
    if (prefill.isEmpty() != decode.isEmpty()) {
      throw new IllegalArgumentException("prefill and decode replicas come together");
    }
    this.client = new PlacementClient(this, workers.size() + 1);
  }

  private void add(ReplicaRole role, List<WorkerClient> clients, List<ReplicaId> ids) {
    for (WorkerClient c : clients) {
      ReplicaId id = new ReplicaId(expert, role, role.name().toLowerCase() + "-" + ids.size());
      workers.put(id, c);
      ids.add(id);
    }
  }

  @Override
  public WorkerClient client(ReplicaId replica) {
    WorkerClient c = workers.get(replica);
    if (c == null) {
      throw new MeshException(ErrorCode.NO_HEALTHY_REPLICA, "unknown replica " + replica);
    }
    return c;
  }

  /** Requests moved to another replica after a failure, since start. */
  public long failovers() {
    return client.failovers();
  }

  /** The next placement round-robin: a pair when the pool has prefill replicas. */
  public Placement next() {
    int t = turn.getAndIncrement();
    return prefill.isEmpty()
        ? new Placement.Colocated(colocated.get(Math.floorMod(t, colocated.size())))
        : new Placement.Disaggregated(
            prefill.get(Math.floorMod(t, prefill.size())),
            decode.get(Math.floorMod(t, decode.size())));
  }

  /** Serves one request on the next placement, failing over within the pool. */
  public ExpertBackend.Generation generate(
      RequestId id,
      TenantId tenant,
      int[] prompt,
      SamplingParams sampling,
      Consumer<TokenEvent> sink) {
    GenerationRequest request =
        new GenerationRequest(
            id,
            tenant,
            expert,
            "",
            prompt,
            BlockHashes.root(tenant.value()),
            sampling,
            Instant.now().plus(Duration.ofMinutes(10)));
    Placement placement = next();
    return client.execute(placement, request, replanner(placement), sink);
  }

  /** Replaces each failed replica by the next live one of its role, in pool order. */
  private Replanner replanner(Placement placement) {
    return new Replanner() {
      @Override
      public Placement replan(Set<ReplicaId> failed) {
        return switch (placement) {
          case Placement.Upstream u -> u;
          case Placement.Colocated c ->
              new Placement.Colocated(other(colocated, c.replica(), failed));
          case Placement.Disaggregated d ->
              new Placement.Disaggregated(
                  other(prefill, d.prefill(), failed), other(decode, d.decode(), failed));
        };
      }

      @Override
      public void outcome(ReplicaId replica, boolean success) {}
    };
  }

  private static ReplicaId other(List<ReplicaId> ids, ReplicaId placed, Set<ReplicaId> failed) {
    int start = ids.indexOf(placed);
    for (int i = 0; i < ids.size(); i++) {
      ReplicaId candidate = ids.get((start + i) % ids.size());
      if (!failed.contains(candidate)) {
        return candidate;
      }
    }
    throw new MeshException(ErrorCode.NO_HEALTHY_REPLICA, "every replica failed this request");
  }
}
