package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.spi.FairScheduler;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.serve.ExpertPool;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request lifecycle, the same for every protocol: render the prompt → route to an expert (step
 * 1) → tokenize once with its tokenizer and check the context → tokens-per-minute check → fair
 * admission (the tenant's queue) → place on replicas (step 2, from the token ids and the replicas'
 * live load and KV events) → execute that placement → stream tokens (charging the tenant's fair
 * counter and rate window) → on the terminal event release the admission slot.
 *
 * <p>Thread-safe. {@link #start} never blocks on the serving side and never throws for a request's
 * own faults: every outcome, rejections included, reaches the {@link GenerationListener}.
 */
public final class RequestOrchestrator {
  private final ExpertResolver resolver;
  private final FairScheduler fair;
  private final TokenRateLimiter rateLimiter;
  private final RequestMetrics metrics;
  private final int defaultMaxTokens;
  private final Duration timeout;

  public RequestOrchestrator(
      ExpertResolver resolver,
      FairScheduler fair,
      TokenRateLimiter rateLimiter,
      RequestMetrics metrics,
      int defaultMaxTokens,
      Duration timeout) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.fair = Objects.requireNonNull(fair, "fair");
    this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    if (defaultMaxTokens < 1 || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("default max tokens and timeout must be positive");
    }
    this.defaultMaxTokens = defaultMaxTokens;
    this.timeout = timeout;
  }

  /**
   * Starts one request for {@code tenant}. The returned handle cancels it at any stage (queued,
   * running, streaming); cancelling a finished request does nothing.
   */
  public RequestHandle start(Tenant tenant, ClientRequest request, GenerationListener listener) {
    long arrival = System.nanoTime();
    metrics.started();
    Inflight inflight = new Inflight(tenant, fair, rateLimiter, metrics, listener, arrival);
    try {
      String prompt = ChatTemplate.render(request.input());
      RequestId id = RequestId.random();
      ExpertResolver.Resolved routed = resolver.resolve(id, tenant.id(), request, prompt);
      ExpertPool pool = routed.pool();
      if (pool.capacity().maxRunningSequences() == 0) {
        // no live replica: waiting in the fair queue for capacity that is not there helps nobody
        inflight.reject(
            new MeshException(
                ErrorCode.NO_HEALTHY_REPLICA,
                "no replica of expert '" + pool.expert() + "' is serving; retry shortly"),
            1);
        return inflight;
      }
      int promptTokens = routed.tokens().count();
      SamplingParams sampling = sampling(request, promptTokens, pool.contextLength());
      GenerationRequest generation =
          new GenerationRequest(
              id,
              tenant.id(),
              pool.expert(),
              prompt,
              routed.tokens().ids(),
              routed.prefixRoot(),
              sampling,
              Instant.now().plus(timeout));
      inflight.routed(pool, generation, promptTokens, routed.replanner());
      int wait = rateLimiter.retryAfterSeconds(tenant);
      if (wait > 0) {
        inflight.reject(
            new MeshException(
                ErrorCode.RATE_LIMITED,
                "tenant '"
                    + tenant.id()
                    + "' has used its "
                    + tenant.tokensPerMinute()
                    + " tokens per minute; retry in "
                    + wait
                    + " s"),
            wait);
        return inflight;
      }
      FairScheduler.Ticket ticket;
      try {
        ticket = fair.submit(tenant, pool.expert(), promptTokens, inflight::admitted);
      } catch (MeshException e) {
        int retry =
            e.code() == ErrorCode.TENANT_QUEUE_FULL ? fair.retryAfterSeconds(tenant.id()) : 0;
        inflight.reject(e, retry);
        return inflight;
      }
      inflight.queued(ticket);
    } catch (MeshException e) {
      inflight.reject(e, 0);
    }
    return inflight;
  }

  /** Requests between arrival and their terminal event. */
  public int inflight() {
    return metrics.inflight();
  }

  private SamplingParams sampling(ClientRequest request, int promptTokens, int context) {
    String promptParam =
        switch (request.input()) {
          case PromptInput.Text t -> "prompt";
          case PromptInput.Chat c -> "messages";
        };
    int room = context - promptTokens; // tokens the context leaves to generate
    if (room < 1) {
      throw new MeshException(
          ErrorCode.CONTEXT_LENGTH_EXCEEDED,
          "This model's maximum context length is "
              + context
              + " tokens; the prompt has "
              + promptTokens
              + " tokens and leaves no room to generate",
          promptParam,
          null);
    }
    int maxTokens = request.maxTokens();
    if (maxTokens == 0) {
      maxTokens = Math.min(defaultMaxTokens, room);
    } else if (maxTokens > room) {
      throw new MeshException(
          ErrorCode.CONTEXT_LENGTH_EXCEEDED,
          "This model's maximum context length is "
              + context
              + " tokens. However, you requested "
              + (promptTokens + maxTokens)
              + " tokens ("
              + promptTokens
              + " in the "
              + promptParam
              + ", "
              + maxTokens
              + " in the completion)",
          "max_tokens",
          null);
    }
    long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong();
    return new SamplingParams(
        request.temperature(), 0, request.topP(), seed, maxTokens, List.of(), request.stop(), -1);
  }
}
