package dev.coemesh.gateway.serve;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.model.Model;
import dev.coemesh.router.Router;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.worker.client.PlacementClient;
import dev.coemesh.worker.client.Replanner;
import dev.coemesh.worker.client.WorkerClient;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An expert served by worker processes (colocated, prefill and decode replicas) that announced
 * themselves through their load reports: the router knows each replica's gRPC endpoint and model
 * fingerprint, and this pool executes its placements there through the {@link PlacementClient}. The
 * gateway holds the expert's model file only for its tokenizer (memory-mapped weights are never
 * touched), so it tokenizes once and the workers get token ids.
 */
public final class RemotePool implements ExpertPool {
  private final ExpertId expert;
  private final Model model;
  private final int contextLength;
  private final BoundedTokenizer tokenizer;
  private final Router router;
  private final WorkerChannels channels;
  private final PlacementClient client;
  private final int slotsPerReplica;

  /**
   * @param contextLength the expert's context from the config (at most the model's), 0 for the
   *     model's
   * @param slotsPerReplica requests one serving replica runs at once (its batch slots), for
   *     admission
   * @param maxAttempts replicas tried per request at most, failovers included
   */
  public RemotePool(
      ExpertId expert,
      Model model,
      int contextLength,
      Router router,
      WorkerChannels channels,
      int slotsPerReplica,
      int maxAttempts) {
    this.expert = expert;
    this.model = model;
    int modelContext = model.config().contextLength();
    this.contextLength = contextLength == 0 ? modelContext : Math.min(contextLength, modelContext);
    this.tokenizer = new BoundedTokenizer(model.tokenizer(), this.contextLength);
    this.router = router;
    this.channels = channels;
    this.slotsPerReplica = slotsPerReplica;
    this.client = new PlacementClient(this::worker, maxAttempts, channels.tracing());
  }

  /** A live replica of this expert on the same weights, or NO_HEALTHY_REPLICA. */
  private WorkerClient worker(ReplicaId id) {
    ReplicaView view = router.replica(id);
    if (view == null || view.endpoint() == null) {
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA, "replica " + id + " is not reporting (expired or gone)");
    }
    long expected = model.fingerprint().value();
    if (view.modelFingerprint() != 0 && view.modelFingerprint() != expected) {
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA,
          "replica " + id + " serves other weights than " + expert + "'s model");
    }
    return channels.client(view.endpoint());
  }

  /** The fingerprint of the weights this expert's replicas must serve. */
  public ModelFingerprint fingerprint() {
    return model.fingerprint();
  }

  /** Requests moved to another replica after a failure, since start. */
  public long failovers() {
    return client.failovers();
  }

  @Override
  public ExpertId expert() {
    return expert;
  }

  @Override
  public int contextLength() {
    return contextLength;
  }

  @Override
  public PromptTokens tokenize(String prompt, BooleanSupplier cancelled) {
    return tokenizer.tokenize(prompt, cancelled);
  }

  /** The model file's chat template (read here with its tokenizer), else the plain format. */
  @Override
  public ChatFormat chatFormat() {
    return model.chatFormat();
  }

  /** Summed over the replicas that hold sequences while they decode (colocated and decode). */
  @Override
  public ExpertBackend.Capacity capacity() {
    return Capacities.sum(
        router.replicas(expert).stream()
            .filter(r -> r.id().role() != ReplicaRole.PREFILL)
            .map(
                r ->
                    new ExpertBackend.Capacity(
                        r.kvBlocksFree(),
                        r.kvBlocksUsed() + r.kvBlocksFree(),
                        r.runningSequences(),
                        r.queueDepth(),
                        slotsPerReplica)));
  }

  @Override
  public ExpertBackend.Generation submit(
      Placement placement,
      GenerationRequest request,
      Replanner replanner,
      Consumer<TokenEvent> sink) {
    return client.execute(placement, request, replanner, sink);
  }

  @Override
  public void close() {
    // the channels are shared by every remote pool and closed with them
  }
}
