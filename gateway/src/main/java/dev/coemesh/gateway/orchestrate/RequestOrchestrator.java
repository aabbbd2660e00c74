package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.spi.FairScheduler;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.limit.Lease;
import dev.coemesh.gateway.limit.LimitMetrics;
import dev.coemesh.gateway.limit.LimitRefusal;
import dev.coemesh.gateway.limit.LocalLimits;
import dev.coemesh.gateway.limit.MinuteWindows;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.limit.TenantLimits;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.PromptTokens;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.worker.trace.WorkerTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The request lifecycle, the same for every protocol: the tenant's limits as far as they are known
 * without work ({@link TenantLimits#precheck}) and its cap on requests being prepared → route to an
 * expert (step 1) → render a conversation with that expert's chat format → tokenize once with its
 * tokenizer, bounded by its context and stopped by a cancel or the deadline, and check the context
 * → check and charge the tenant's limits (requests and tokens per minute, concurrency; {@link
 * TenantLimits#admit}, shared over every gateway when they are kept in Redis) → fair admission (the
 * tenant's queue) → place on replicas (step 2, from the token ids and the replicas' live load and
 * KV events) → execute that placement → stream tokens (charging the tenant's fair counter and rate
 * window) → on the terminal event release the admission slot and the limits' lease.
 *
 * <p>Thread-safe. {@link #start} never blocks on the serving side and never throws for a request's
 * own faults: every outcome, rejections included, reaches the {@link GenerationListener}.
 */
public final class RequestOrchestrator {
  private final ExpertResolver resolver;
  private final FairScheduler fair;
  private final TokenRateLimiter rateLimiter;
  private final TenantLimits limits;
  private final RequestMetrics metrics;
  private final RequestObserver observer;
  private final int defaultMaxTokens;
  private final Duration timeout;
  private final Tracer tracer;
  private final boolean capturePrompts;
  private final Preparations preparations = new Preparations();

  /** Ends requests still queued at their deadline; one daemon thread for the process. */
  private static final ScheduledExecutorService EXPIRIES = expiries();

  public RequestOrchestrator(
      ExpertResolver resolver,
      FairScheduler fair,
      TokenRateLimiter rateLimiter,
      RequestMetrics metrics,
      RequestObserver observer,
      int defaultMaxTokens,
      Duration timeout) {
    this(
        resolver,
        fair,
        rateLimiter,
        metrics,
        observer,
        defaultMaxTokens,
        timeout,
        OpenTelemetry.noop().getTracer(WorkerTracing.SCOPE),
        false);
  }

  /**
   * The limits of each process alone ({@link LocalLimits} over {@code rateLimiter}'s windows).
   *
   * @param tracer makes each request's span (see {@link RequestSpan})
   * @param capturePrompts whether request spans carry the rendered prompt (off unless the operator
   *     opts in: prompts are user data)
   */
  public RequestOrchestrator(
      ExpertResolver resolver,
      FairScheduler fair,
      TokenRateLimiter rateLimiter,
      RequestMetrics metrics,
      RequestObserver observer,
      int defaultMaxTokens,
      Duration timeout,
      Tracer tracer,
      boolean capturePrompts) {
    this(
        resolver,
        fair,
        rateLimiter,
        new LocalLimits(
            rateLimiter.windows(), new MinuteWindows(System::nanoTime), LimitMetrics.none()),
        metrics,
        observer,
        defaultMaxTokens,
        timeout,
        tracer,
        capturePrompts);
  }

  /**
   * @param rateLimiter the tokens each request is charged as they are processed (this process's
   *     window, which {@code limits} reads in local mode and falls back on without its store)
   * @param limits the tenants' limits, per process or shared
   * @param tracer makes each request's span (see {@link RequestSpan})
   * @param capturePrompts whether request spans carry the rendered prompt (off unless the operator
   *     opts in: prompts are user data)
   */
  public RequestOrchestrator(
      ExpertResolver resolver,
      FairScheduler fair,
      TokenRateLimiter rateLimiter,
      TenantLimits limits,
      RequestMetrics metrics,
      RequestObserver observer,
      int defaultMaxTokens,
      Duration timeout,
      Tracer tracer,
      boolean capturePrompts) {
    this.tracer = Objects.requireNonNull(tracer, "tracer");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.capturePrompts = capturePrompts;
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.fair = Objects.requireNonNull(fair, "fair");
    this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.observer = Objects.requireNonNull(observer, "observer");
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
    return start(tenant, request, listener, created -> {});
  }

  /**
   * Starts one request, handing its handle to {@code created} before any work on it, so that a
   * client that leaves while the prompt is routed and tokenized cancels that work too.
   */
  public RequestHandle start(
      Tenant tenant,
      ClientRequest request,
      GenerationListener listener,
      Consumer<RequestHandle> created) {
    long arrival = System.nanoTime();
    metrics.started();
    String operation = operation(request.input());
    RequestSpan span = RequestSpan.start(tracer, tenant, request, operation);
    Inflight inflight =
        new Inflight(
            tenant, fair, rateLimiter, metrics, observer, listener, operation, arrival, span);
    created.accept(inflight);
    Instant deadline = Instant.now().plus(timeout);
    try (Scope ignored = span.makeCurrent()) {
      // cheap refusals first: a tenant over its limits costs nothing to tokenize
      LimitRefusal over = limits.precheck(tenant);
      if (over != null) {
        inflight.refused(over);
        return inflight;
      }
      if (!preparations.tryEnter(tenant)) {
        inflight.reject(
            new MeshException(
                ErrorCode.TENANT_QUEUE_FULL,
                "tenant '" + tenant.id() + "' has too many requests in flight; retry shortly"),
            1);
        return inflight;
      }
      try {
        prepareAndQueue(tenant, request, inflight, arrival, deadline, span);
      } finally {
        preparations.exit(tenant);
      }
    } catch (MeshException e) {
      inflight.reject(e, 0);
    } catch (CancellationException e) {
      if (inflight.cancelRequested()) {
        inflight.endCancelledWhileQueued();
      } else {
        inflight.reject(
            new MeshException(
                ErrorCode.DEADLINE_EXCEEDED,
                "the request's deadline passed while its prompt was being prepared"),
            0);
      }
    }
    return inflight;
  }

  /** Routes and tokenizes the request within its deadline, then hands it to the fair queue. */
  private void prepareAndQueue(
      Tenant tenant,
      ClientRequest request,
      Inflight inflight,
      long arrival,
      Instant deadline,
      RequestSpan span) {
    long deadlineNanos = arrival + timeout.toNanos();
    BooleanSupplier stop =
        () -> inflight.cancelRequested() || System.nanoTime() - deadlineNanos > 0;
    RequestId id = RequestId.random();
    ExpertResolver.Resolved routed = resolver.resolve(id, tenant.id(), request, stop);
    ExpertPool pool = routed.pool();
    String prompt = routed.prompt();
    if (capturePrompts) {
      span.prompt(prompt);
    }
    if (pool.capacity().maxRunningSequences() == 0) {
      // no live replica: waiting in the fair queue for capacity that is not there helps nobody
      inflight.reject(
          new MeshException(
              ErrorCode.NO_HEALTHY_REPLICA,
              "no replica of expert '" + pool.expert() + "' is serving; retry shortly"),
          1);
      return;
    }
    int promptTokens = routed.tokens().count();
    SamplingParams sampling = sampling(request, routed.tokens(), pool.contextLength());
    if (stop.getAsBoolean()) {
      throw new CancellationException("cancelled before its limits were charged");
    }
    // every limit checked and charged in one step: the tokens it may use are reserved (prompt and
    // max_tokens), and what it does not use is handed back when it ends
    switch (limits.admit(tenant, id, (long) promptTokens + sampling.maxTokens())) {
      case TenantLimits.Admission.Refused(LimitRefusal refusal) -> {
        inflight.refused(refusal);
        return;
      }
      case TenantLimits.Admission.Granted(Lease lease, RateLimitHeaders headers) ->
          inflight.limited(lease, headers);
    }
    GenerationRequest generation =
        new GenerationRequest(
            id,
            tenant.id(),
            pool.expert(),
            prompt,
            routed.tokens().ids(),
            routed.prefixRoot(),
            sampling,
            deadline,
            pool.takesConversation() && request.input() instanceof PromptInput.Chat c
                ? c.body()
                : null);
    inflight.routed(pool, generation, promptTokens, routed.replanner());
    if (stop.getAsBoolean()) {
      throw new CancellationException("cancelled before it was queued");
    }
    FairScheduler.Ticket ticket;
    try {
      ticket =
          fair.submit(tenant, pool.expert(), request.priority(), promptTokens, inflight::admitted);
    } catch (MeshException e) {
      int retry = e.code() == ErrorCode.TENANT_QUEUE_FULL ? fair.retryAfterSeconds(tenant.id()) : 0;
      inflight.reject(e, retry);
      return;
    }
    inflight.queued(ticket, EXPIRIES);
  }

  private static ScheduledExecutorService expiries() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("mesh-queue-deadlines").daemon().factory());
    timer.setRemoveOnCancelPolicy(true); // most requests end long before their deadline
    return timer;
  }

  /** The request's GenAI operation name, a metric label. */
  private static String operation(PromptInput input) {
    return switch (input) {
      case PromptInput.Text t -> RequestMetrics.TEXT_COMPLETION;
      case PromptInput.Chat c -> RequestMetrics.CHAT;
    };
  }

  /** Requests between arrival and their terminal event. */
  public int inflight() {
    return metrics.inflight();
  }

  private SamplingParams sampling(ClientRequest request, PromptTokens tokens, int context) {
    int promptTokens = tokens.count();
    String has = tokens.lowerBound() ? " has at least " : " has ";
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
              + " tokens; the prompt"
              + has
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
