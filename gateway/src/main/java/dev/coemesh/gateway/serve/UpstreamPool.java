package dev.coemesh.gateway.serve;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.worker.client.Replanner;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An expert served by an OpenAI-compatible upstream (vLLM, llama.cpp, a provider): the upstream
 * applies its model's chat template, tokenizes and places on its own replicas, so the prompt is
 * only counted here, and chat requests reach it as chat (messages, tools and all).
 */
public final class UpstreamPool implements ExpertPool {
  private final ExpertBackend upstream;

  public UpstreamPool(ExpertBackend upstream) {
    this.upstream = upstream;
  }

  @Override
  public ExpertId expert() {
    return upstream.expert();
  }

  @Override
  public int contextLength() {
    return upstream.contextLength();
  }

  @Override
  public PromptTokens tokenize(String prompt, BooleanSupplier cancelled) {
    return new PromptTokens(new int[0], upstream.countTokens(prompt));
  }

  /** The plain format: the upstream applies its own template; this one only counts the prompt. */
  @Override
  public ChatFormat chatFormat() {
    return ChatFormat.PLAIN;
  }

  @Override
  public boolean takesConversation() {
    return true;
  }

  @Override
  public ExpertBackend.Capacity capacity() {
    return upstream.capacity();
  }

  @Override
  public ExpertBackend.Generation submit(
      Placement placement,
      GenerationRequest request,
      Replanner replanner,
      Consumer<TokenEvent> sink) {
    if (!(placement instanceof Placement.Upstream)) {
      sink.accept(
          new TokenEvent.Failed(
              ErrorCode.NO_HEALTHY_REPLICA,
              "placement " + placement + " names a replica; " + expert() + " is an upstream"));
      return () -> {};
    }
    return upstream.submit(request, sink);
  }

  @Override
  public void close() {
    upstream.close();
  }
}
