package dev.coemesh.gateway.limit;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.Map;

/**
 * A tenant's requests-per-minute, tokens-per-minute and concurrency limits, checked twice per
 * request: {@link #precheck} before any work on it (no store round trip: a window this gateway
 * already knows to be exhausted, or an unreachable store for a fail-closed tenant), then {@link
 * #admit} once its prompt is tokenized and its {@code max_tokens} known, which checks every limit
 * and charges the request to them in one atomic step. {@link LocalLimits} keeps them per gateway
 * process; {@link SharedLimits} over all gateways in Redis.
 *
 * <p>Thread-safe.
 */
public interface TenantLimits {

  /** A refusal decided before any work on the request, or null when it may go on. */
  LimitRefusal precheck(Tenant tenant);

  /**
   * Checks the tenant's limits and, when they let the request in, charges it in the same step: one
   * request to the requests window, {@code reserveTokens} (prompt + {@code max_tokens}) to the
   * tokens window, and a slot among the tenant's concurrent requests, held by the returned {@link
   * Lease} until the request's terminal event releases it.
   */
  Admission admit(Tenant tenant, RequestId request, long reserveTokens);

  /** The limits' state for the status report. */
  View view();

  /** The outcome of {@link #admit}: let in, holding a lease, or refused. */
  sealed interface Admission permits Admission.Granted, Admission.Refused {

    /**
     * @param lease released when the request ends, on every path
     * @param headers the limits after this request was charged; null for a tenant without
     *     per-minute limits
     */
    record Granted(Lease lease, RateLimitHeaders headers) implements Admission {
      public Granted {
        java.util.Objects.requireNonNull(lease, "lease");
      }
    }

    record Refused(LimitRefusal refusal) implements Admission {
      public Refused {
        java.util.Objects.requireNonNull(refusal, "refusal");
      }
    }
  }

  /**
   * @param mode {@code local} (per gateway process) or {@code shared} (Redis)
   * @param store the store's address without credentials; null in local mode
   * @param storeUp whether the store answers now (its breaker is closed); null in local mode
   * @param storeChangedMillis when {@code storeUp} last changed (Unix ms); null in local mode
   * @param leases concurrency leases this gateway holds in the store (or will publish to it)
   * @param pendingReleases releases waiting for the store to answer again
   * @param refused refusals since start by tenant, then by {@link LimitKind#label()}
   */
  record View(
      String mode,
      String store,
      Boolean storeUp,
      Long storeChangedMillis,
      int leases,
      int pendingReleases,
      Map<TenantId, Map<String, Long>> refused) {}
}
