package dev.coemesh.core.tenant;

import java.util.Objects;

/**
 * A tenant and its limits.
 *
 * @param weight share of service relative to other tenants (VTC divides charges by it), &gt; 0
 * @param maxQueued requests that may wait in the tenant's queue before 429
 * @param maxConcurrent requests that may run at once
 * @param tokensPerMinute input+output tokens per minute, 0 for unlimited
 */
public record Tenant(
    TenantId id, double weight, int maxQueued, int maxConcurrent, long tokensPerMinute) {
  public Tenant {
    Objects.requireNonNull(id, "id");
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("tenant " + id + ": weight must be > 0, was " + weight);
    }
    if (maxQueued < 0 || maxConcurrent < 1 || tokensPerMinute < 0) {
      throw new IllegalArgumentException(
          "tenant " + id + ": maxQueued >= 0, maxConcurrent >= 1, tokensPerMinute >= 0 required");
    }
  }
}
