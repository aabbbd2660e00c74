package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.gateway.limit.RateLimitHeaders;

/**
 * What a protocol adapter (SSE, buffered JSON, gRPC) receives for one request. Calls never overlap
 * and arrive in order: at most one {@link #onRouted}, then tokens, then exactly one terminal call
 * ({@link #onFinished} or {@link #onFailed}). They come from the request thread or a backend thread
 * and must not block.
 */
public interface GenerationListener {

  /**
   * The tenant's per-minute limits as this request left them (OpenAI's {@code x-ratelimit-*}
   * headers): at most once, before {@link #onRouted}, or before the {@link #onFailed} of a request
   * its limits refused; only for a tenant with a requests- or tokens-per-minute limit.
   */
  default void onRateLimits(RateLimitHeaders limits) {}

  /** The request was validated and routed to {@code expert}; it now waits for fair admission. */
  void onRouted(RequestId id, ExpertId expert, int promptTokens);

  void onToken(TokenEvent.Token token);

  /**
   * A fragment of a tool call the model makes; only an upstream expert given {@code tools} sends
   * these, in order with the tokens.
   */
  void onToolCall(TokenEvent.ToolCallDelta call);

  void onFinished(FinishReason reason, Usage usage);

  /**
   * The request failed; nothing was generated after this.
   *
   * @param retryAfterSeconds when to try again (429, 503), or 0 when no hint applies
   */
  void onFailed(MeshException error, int retryAfterSeconds);
}
