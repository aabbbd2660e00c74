package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.FairScheduler;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.limit.Lease;
import dev.coemesh.gateway.limit.LimitRefusal;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.RoutedReplanner;
import dev.coemesh.router.RouteDecision;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * One request from routing to its terminal event. Cancellation can race with admission (scheduler
 * thread), submission and streaming (backend thread); the fields under {@code this} lock decide who
 * finishes the request, and {@link #ended} makes the releases (fair slot, limits' lease) and the
 * terminal listener call happen exactly once, whatever the exit path.
 */
final class Inflight implements RequestHandle {
  private static final Logger LOG = Logger.getLogger(Inflight.class);

  /**
   * The Retry-After of a 503 for want of a healthy replica: a replica that restarts reports within
   * a second, and a breaker's half-open probe follows its cooldown.
   */
  private static final int NO_REPLICA_RETRY_SECONDS = 1;

  private final Tenant tenant;
  private final FairScheduler fair;
  private final TokenRateLimiter rateLimiter;
  private final RequestMetrics metrics;
  private final RequestObserver observer;
  private final GenerationListener listener;
  private final String operation; // gen_ai.operation.name
  private final long arrivalNanos;
  private final RequestSpan span;
  private final AtomicBoolean ended = new AtomicBoolean();

  /** Tokens charged to the tenant so far (prompt once admitted, then each output token). */
  private final AtomicLong chargedTokens = new AtomicLong();

  // set once by routed(), before the request is shared with other threads
  private ExpertPool pool;
  private GenerationRequest request;
  private int promptTokens;
  private RoutedReplanner placement;

  // backend thread only (events arrive in order on one thread at a time)
  private long firstTokenNanos;
  private long lastTokenNanos;

  // guarded by this
  private FairScheduler.Ticket ticket;
  private ExpertBackend.Generation generation;
  private boolean admitted;
  private boolean cancelRequested;
  private boolean expired; // its deadline passed while it was queued
  private Future<?> expiry;
  private Lease lease; // the limits' hold on the tenant's slot and reserved tokens

  Inflight(
      Tenant tenant,
      FairScheduler fair,
      TokenRateLimiter rateLimiter,
      RequestMetrics metrics,
      RequestObserver observer,
      GenerationListener listener,
      String operation,
      long arrivalNanos,
      RequestSpan span) {
    this.tenant = tenant;
    this.fair = fair;
    this.rateLimiter = rateLimiter;
    this.metrics = metrics;
    this.observer = observer;
    this.listener = listener;
    this.operation = operation;
    this.arrivalNanos = arrivalNanos;
    this.span = span;
  }

  /**
   * The tenant's limits let the request in: {@code granted} is released when it ends, and {@code
   * headers} (null without per-minute limits) go to the listener first.
   */
  void limited(Lease granted, RateLimitHeaders headers) {
    boolean over;
    synchronized (this) {
      over = ended.get();
      if (!over) {
        lease = granted;
      }
    }
    if (over) {
      granted.release(chargedTokens.get());
      return;
    }
    if (headers != null) {
      listener.onRateLimits(headers);
    }
  }

  /** The tenant's limits refused the request (before it was queued). */
  void refused(LimitRefusal refusal) {
    end(
        refusal.error().code(),
        () -> {
          if (refusal.headers() != null) {
            listener.onRateLimits(refusal.headers());
          }
          listener.onFailed(refusal.error(), refusal.retryAfterSeconds());
        });
  }

  void routed(
      ExpertPool pool, GenerationRequest request, int promptTokens, RoutedReplanner placement) {
    this.pool = pool;
    this.request = request;
    this.promptTokens = promptTokens;
    this.placement = placement;
    metrics.routed(placement.choice());
    span.routed(placement.choice(), promptTokens, request.sampling());
    listener.onRouted(request.id(), pool.expert(), promptTokens);
  }

  /**
   * Called with the ticket {@code FairScheduler.submit} returned; a request still queued at its
   * deadline is then taken out of the queue by {@code timer} and ends as {@code DEADLINE_EXCEEDED}.
   */
  void queued(FairScheduler.Ticket queuedTicket, ScheduledExecutorService timer) {
    boolean cancelNow;
    synchronized (this) {
      if (ticket == null) {
        ticket = queuedTicket;
      }
      cancelNow = cancelRequested && !admitted;
      if (!cancelNow && !admitted && !ended.get()) {
        long wait = Duration.between(Instant.now(), request.deadline()).toNanos();
        expiry = timer.schedule(this::expireIfQueued, Math.max(0, wait), TimeUnit.NANOSECONDS);
      }
    }
    if (cancelNow) {
      queuedTicket.cancel();
      endCancelledWhileQueued();
    }
  }

  /** The deadline passed: a request still waiting for admission gives up its place. */
  private void expireIfQueued() {
    synchronized (this) {
      if (admitted || cancelRequested || ended.get()) {
        return; // running (the backend holds the deadline), cancelled or over
      }
      expired = true;
    }
    cancel();
  }

  /** The fair scheduler lets the request start (scheduler thread; must not block). */
  void admitted(FairScheduler.Ticket admittedTicket) {
    boolean late;
    synchronized (this) {
      if (cancelRequested) {
        // cancel() or queued() finishes the request; only the slot is handed back here
        admittedTicket.complete();
        return;
      }
      // the deadline passed in the queue but the expiry timer has not run yet (a busy machine):
      // it ends as expired in the queue, not on the engine after a wasted prefill
      late = !Instant.now().isBefore(request.deadline());
      if (late) {
        expired = true;
        cancelRequested = true;
      } else {
        admitted = true;
        ticket = admittedTicket;
      }
    }
    if (late) {
      admittedTicket.complete();
      endCancelledWhileQueued();
      return;
    }
    rateLimiter.charge(tenant, promptTokens);
    chargedTokens.addAndGet(promptTokens);
    ExpertBackend.Generation started;
    try (Scope ignored = span.makeCurrent()) {
      // placed at admission, not arrival: the replicas' load is the one the request will meet
      RouteDecision decision;
      try {
        decision = placement.place();
      } catch (MeshException e) {
        metrics.placed(placement.choice(), null);
        throw e;
      }
      Placement where = decision.placement();
      metrics.placed(placement.choice(), where);
      observer.placed(tenant.id(), decision);
      span.placed(where);
      started = pool.submit(where, request, placement, event -> onEvent(admittedTicket, event));
    } catch (MeshException e) {
      int retry = e.code() == ErrorCode.NO_HEALTHY_REPLICA ? NO_REPLICA_RETRY_SECONDS : 0;
      end(e.code(), () -> listener.onFailed(e, retry));
      return;
    } catch (RuntimeException e) {
      LOG.errorf(e, "pool %s failed to start a request", pool.expert());
      MeshException internal =
          new MeshException(ErrorCode.INTERNAL, "the backend failed to start the request", e);
      end(internal.code(), () -> listener.onFailed(internal, 0));
      return;
    }
    boolean cancelNow;
    synchronized (this) {
      generation = started;
      cancelNow = cancelRequested;
    }
    if (cancelNow) {
      started.cancel();
    }
  }

  /** Backend thread: events arrive in order, ending with one terminal event. */
  private void onEvent(FairScheduler.Ticket admittedTicket, TokenEvent event) {
    switch (event) {
      case TokenEvent.Token token -> {
        lastTokenNanos = System.nanoTime();
        if (token.index() == 0) {
          firstTokenNanos = lastTokenNanos;
          metrics.firstToken(pool.expert(), operation, firstTokenNanos - arrivalNanos);
          span.firstToken();
        }
        admittedTicket.chargeOutput(1);
        rateLimiter.charge(tenant, 1);
        chargedTokens.incrementAndGet();
        listener.onToken(token);
      }
      case TokenEvent.ToolCallDelta call -> {
        lastTokenNanos = System.nanoTime();
        listener.onToolCall(call);
      }
      case TokenEvent.Finished finished -> {
        long first = firstTokenNanos;
        metrics.finished(
            pool.expert(),
            operation,
            tenant.id(),
            finished.usage(),
            first == 0 ? -1 : System.nanoTime() - first);
        span.usage(finished.usage());
        observer.charged(tenant.id(), finished.usage());
        if (finished.reason() == FinishReason.CANCELLED && !cancelRequested()) {
          // nobody here cancelled it: the backend's deadline did
          MeshException late =
              new MeshException(
                  ErrorCode.DEADLINE_EXCEEDED,
                  "the request did not finish before its deadline; "
                      + finished.usage().completionTokens()
                      + " tokens were generated");
          end(late.code(), () -> listener.onFailed(late, 0));
          return;
        }
        served(finished);
        end(
            finished.reason().wireName(),
            () -> listener.onFinished(finished.reason(), finished.usage()));
      }
      case TokenEvent.Failed failed -> {
        MeshException error = new MeshException(failed.code(), failed.message());
        int retry = failed.code() == ErrorCode.NO_HEALTHY_REPLICA ? NO_REPLICA_RETRY_SECONDS : 0;
        end(failed.code(), () -> listener.onFailed(error, retry));
      }
    }
  }

  /**
   * Reports the latencies of a request that finished with output: TTFT, and the mean gap between
   * its output tokens after the first (none with a single token).
   */
  private void served(TokenEvent.Finished finished) {
    int tokens = finished.usage().completionTokens();
    if (finished.reason() == FinishReason.CANCELLED || tokens < 1 || firstTokenNanos == 0) {
      return;
    }
    Duration ttft = Duration.ofNanos(firstTokenNanos - arrivalNanos);
    Duration meanTpot =
        tokens < 2 ? null : Duration.ofNanos((lastTokenNanos - firstTokenNanos) / (tokens - 1));
    observer.served(pool.expert(), ttft, meanTpot);
  }

  /** Whether the client cancelled (polled by the work before the fair queue). */
  synchronized boolean cancelRequested() {
    return cancelRequested;
  }

  /** Fails the request before it was queued. */
  void reject(MeshException error, int retryAfterSeconds) {
    end(error.code(), () -> listener.onFailed(error, retryAfterSeconds));
  }

  @Override
  public void cancel() {
    ExpertBackend.Generation running;
    FairScheduler.Ticket waiting;
    synchronized (this) {
      if (cancelRequested || ended.get()) {
        return;
      }
      cancelRequested = true;
      running = generation;
      waiting = admitted ? null : ticket;
    }
    if (running != null) {
      running.cancel(); // the backend answers with Finished(CANCELLED), which ends the request
    } else if (waiting != null) {
      waiting.cancel();
      endCancelledWhileQueued();
    }
    // otherwise queued() or admitted() has not returned yet and sees the flag
  }

  /** Ends a request cancelled (or expired) before admission: while prepared, or queued. */
  void endCancelledWhileQueued() {
    boolean late;
    synchronized (this) {
      late = expired;
    }
    if (late) {
      MeshException error =
          new MeshException(
              ErrorCode.DEADLINE_EXCEEDED,
              "the request waited in the queue until its deadline passed; no token was generated");
      end(error.code(), () -> listener.onFailed(error, 0));
      return;
    }
    end(
        FinishReason.CANCELLED.wireName(),
        () -> listener.onFinished(FinishReason.CANCELLED, new Usage(promptTokens, 0, 0)));
  }

  /** Ends the request with {@code error}. */
  private void end(ErrorCode error, Runnable terminal) {
    end(error.wireCode(), error, terminal);
  }

  /** Ends the request with a finish reason ({@code outcome}). */
  private void end(String outcome, Runnable terminal) {
    end(outcome, null, terminal);
  }

  /**
   * Releases the admission slot, records the outcome ({@code error} null when it finished), then
   * tells the listener; once.
   */
  private void end(String outcome, ErrorCode error, Runnable terminal) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    FairScheduler.Ticket held;
    Lease limit;
    synchronized (this) {
      held = ticket;
      limit = lease;
      lease = null;
      if (expiry != null) {
        expiry.cancel(false);
      }
    }
    ExpertId expert = pool == null ? null : pool.expert();
    try {
      if (limit != null) {
        limit.release(chargedTokens.get()); // never throws, never blocks
      }
      if (held != null) {
        held.complete();
      }
      if (expert != null) {
        fair.capacityChanged(expert);
      }
    } finally {
      metrics.ended(expert, operation, outcome, error, System.nanoTime() - arrivalNanos);
      observer.ended(tenant.id(), error != null);
      span.end(outcome, error != null);
      terminal.run();
    }
  }
}
