package dev.coemesh.gateway.observe;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.router.RouteDecision;
import java.time.Duration;

/**
 * What the orchestrator tells the live views about each request (the status page, SLO attainment).
 * Called on request, scheduler and engine threads: implementations are thread-safe, return quickly
 * and never throw. Nothing here carries prompt text or request ids.
 */
public interface RequestObserver {
  /** Observes nothing (tests of the orchestrator alone). */
  RequestObserver NONE = new RequestObserver() {};

  /** The router placed an admitted request; the gateway executes this placement next. */
  default void placed(TenantId tenant, RouteDecision decision) {}

  /**
   * A request finished with output (stop or length, not cancelled).
   *
   * @param ttft arrival to first token
   * @param meanTpot mean gap between output tokens after the first; null with one token
   */
  default void served(ExpertId expert, Duration ttft, Duration meanTpot) {}

  /** Tokens charged to a tenant for one request that ran (cancelled ones included). */
  default void charged(TenantId tenant, Usage usage) {}

  /**
   * A request ended, once per request the orchestrator started.
   *
   * @param error it ended with an error code rather than a finish reason
   */
  default void ended(TenantId tenant, boolean error) {}
}
