package dev.coemesh.gateway.observe;

import dev.coemesh.core.tenant.TenantId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each tenant asked of the orchestrator since start: requests ended (served or refused) and
 * tokens charged. Tenants are the configured ones, so the map stays small. Thread-safe.
 */
public final class TenantUsage {
  private final Map<TenantId, Counts> tenants = new ConcurrentHashMap<>();

  /** One tenant's totals. */
  public record Totals(long requests, long errors, long inputTokens, long outputTokens) {
    static final Totals NONE = new Totals(0, 0, 0, 0);

    Totals plus(Totals o) {
      return new Totals(
          requests + o.requests,
          errors + o.errors,
          inputTokens + o.inputTokens,
          outputTokens + o.outputTokens);
    }
  }

  private static final class Counts {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder input = new LongAdder();
    final LongAdder output = new LongAdder();

    Totals totals() {
      return new Totals(requests.sum(), errors.sum(), input.sum(), output.sum());
    }
  }

  /**
   * A request of {@code tenant} ended.
   *
   * @param error it ended with an error (refused, failed, timed out), not a finish reason
   */
  public void ended(TenantId tenant, boolean error) {
    Counts c = counts(tenant);
    c.requests.increment();
    if (error) {
      c.errors.increment();
    }
  }

  /** Tokens charged to {@code tenant} for one request. */
  public void charged(TenantId tenant, int inputTokens, int outputTokens) {
    Counts c = counts(tenant);
    c.input.add(inputTokens);
    c.output.add(outputTokens);
  }

  public Totals of(TenantId tenant) {
    Counts c = tenants.get(tenant);
    return c == null ? Totals.NONE : c.totals();
  }

  /** Over every tenant. */
  public Totals all() {
    Totals sum = Totals.NONE;
    for (Counts c : tenants.values()) {
      sum = sum.plus(c.totals());
    }
    return sum;
  }

  private Counts counts(TenantId tenant) {
    return tenants.computeIfAbsent(tenant, t -> new Counts());
  }
}
