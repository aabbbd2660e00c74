package dev.coemesh.core.tenant;

import java.util.Objects;

/**
 * A tenant and its limits.
 *
 * @param weight share of service relative to other tenants (VTC divides charges by it), &gt; 0
 * @param maxQueued requests that may wait in the tenant's queue before 429
 * @param maxConcurrent requests that may run at once (over all gateway replicas when the limits are
 *     shared through Redis, else per replica)
 * @param tokensPerMinute input+output tokens per minute, 0 for unlimited
 * @param requestsPerMinute requests per minute, 0 for unlimited
 * @param whenLimitsUnavailable what happens while the shared limit store (Redis) cannot be reached
 */
public record Tenant(
    TenantId id,
    double weight,
    int maxQueued,
    int maxConcurrent,
    long tokensPerMinute,
    long requestsPerMinute,
    LimitStoreOutage whenLimitsUnavailable) {

  /** Behaviour of a tenant's shared limits while their store cannot be reached. */
  public enum LimitStoreOutage {
    /** Keep serving, enforcing the limits per gateway replica (the default). */
    FAIL_OPEN,
    /** Refuse the tenant's requests until the store answers again. */
    FAIL_CLOSED
  }

  public Tenant {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(whenLimitsUnavailable, "whenLimitsUnavailable");
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("tenant " + id + ": weight must be > 0, was " + weight);
    }
    if (maxQueued < 0 || maxConcurrent < 1 || tokensPerMinute < 0 || requestsPerMinute < 0) {
      throw new IllegalArgumentException(
          "tenant "
              + id
              + ": maxQueued >= 0, maxConcurrent >= 1, tokensPerMinute >= 0, requestsPerMinute >= 0"
              + " required");
    }
  }

  /** No request-rate limit, fail open. */
  public Tenant(
      TenantId id, double weight, int maxQueued, int maxConcurrent, long tokensPerMinute) {
    this(id, weight, maxQueued, maxConcurrent, tokensPerMinute, 0, LimitStoreOutage.FAIL_OPEN);
  }
}
