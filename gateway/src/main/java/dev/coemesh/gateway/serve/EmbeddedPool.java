package dev.coemesh.gateway.serve;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.tokenizer.Tokenizer;
import dev.coemesh.worker.client.Replanner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An expert whose replicas run in this JVM (the embedded mode): each replica is an engine with its
 * own continuous batcher and KV cache, reporting its load and KV-block events on the in-process
 * signal bus, so the router places requests on them as on remote replicas. Colocated only.
 */
public final class EmbeddedPool implements ExpertPool {
  private final ExpertId expert;
  private final BoundedTokenizer tokenizer;
  private final ChatFormat chatFormat;
  private final int contextLength;
  private final Map<ReplicaId, EmbeddedExpertBackend> replicas;

  /**
   * @param replicas the expert's replicas by id, all on the model {@code tokenizer} and {@code
   *     chatFormat} belong to
   */
  public EmbeddedPool(
      ExpertId expert,
      Tokenizer tokenizer,
      ChatFormat chatFormat,
      Map<ReplicaId, EmbeddedExpertBackend> replicas) {
    if (replicas.isEmpty()) {
      throw new IllegalArgumentException("an embedded pool needs a replica");
    }
    this.expert = expert;
    this.replicas = new LinkedHashMap<>(replicas);
    this.contextLength = replicas.values().iterator().next().contextLength();
    this.tokenizer = new BoundedTokenizer(tokenizer, contextLength);
    this.chatFormat = Objects.requireNonNull(chatFormat, "chatFormat");
  }

  /** A pool of one replica. */
  public static EmbeddedPool of(
      ReplicaId id, EmbeddedExpertBackend replica, Tokenizer tokenizer, ChatFormat chatFormat) {
    return new EmbeddedPool(replica.expert(), tokenizer, chatFormat, Map.of(id, replica));
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

  @Override
  public ChatFormat chatFormat() {
    return chatFormat;
  }

  @Override
  public ExpertBackend.Capacity capacity() {
    return Capacities.sum(List.copyOf(replicas.values()).stream().map(ExpertBackend::capacity));
  }

  @Override
  public ExpertBackend.Generation submit(
      Placement placement,
      GenerationRequest request,
      Replanner replanner,
      Consumer<TokenEvent> sink) {
    ReplicaId id =
        switch (placement) {
          case Placement.Colocated c -> c.replica();
          case Placement.Upstream _, Placement.Disaggregated _ -> null;
        };
    EmbeddedExpertBackend replica = id == null ? null : replicas.get(id);
    if (replica == null) {
      sink.accept(
          new TokenEvent.Failed(
              ErrorCode.NO_HEALTHY_REPLICA,
              "placement " + placement + " names no replica of " + expert + " in this process"));
      return () -> {};
    }
    return replica.submit(request, sink);
  }

  @Override
  public void close() {
    replicas.values().forEach(EmbeddedExpertBackend::close);
  }
}
