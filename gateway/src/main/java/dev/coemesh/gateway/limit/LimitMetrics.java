package dev.coemesh.gateway.limit;

import dev.coemesh.core.tenant.TenantId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The limits' meters (observability/METRICS.md, "Gateway: tenant limits"): refusals by tenant,
 * limit and scope, and in shared mode the store's state, its failed calls and the requests admitted
 * under local limits while it was unreachable. Refusal counts are also kept for the status report.
 */
public final class LimitMetrics {
  /** Refusals decided by the shared store (or for want of it). */
  public static final String SHARED = "shared";

  /** Refusals decided by this gateway's own windows (local mode, or a fail-open fallback). */
  public static final String LOCAL = "local";

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<TenantId, ConcurrentHashMap<LimitKind, AtomicLong>> refusals =
      new ConcurrentHashMap<>();

  public LimitMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters that go nowhere (tests, and orchestrators built without a registry). */
  public static LimitMetrics none() {
    return new LimitMetrics(new SimpleMeterRegistry());
  }

  /** Creates the refusal counter at 0, so that it is exported before the first refusal. */
  public void register(TenantId tenant, LimitKind kind, String scope) {
    refusedCounter(tenant, kind, scope);
  }

  void refused(TenantId tenant, LimitKind kind, String scope) {
    refusedCounter(tenant, kind, scope).increment();
    refusals
        .computeIfAbsent(tenant, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(kind, k -> new AtomicLong())
        .incrementAndGet();
  }

  /** Creates the fallback counter of a fail-open tenant at 0 (shared mode). */
  public void registerFallback(TenantId tenant) {
    fallbackCounter(tenant);
  }

  void fallbackAdmitted(TenantId tenant) {
    fallbackCounter(tenant).increment();
  }

  private Counter fallbackCounter(TenantId tenant) {
    return counter(
        "fallback|" + tenant.value(),
        () ->
            Counter.builder("mesh.limits.fallback.admitted")
                .description(
                    "Requests admitted under this gateway's local limits while the shared"
                        + " limit store was unreachable")
                .tag("tenant", tenant.value())
                .register(registry));
  }

  void storeError() {
    storeErrors().increment();
  }

  void storeGauge(BooleanSupplier up) {
    Gauge.builder("mesh.limits.store.up", () -> up.getAsBoolean() ? 1 : 0)
        .description("1 while the shared limit store (Redis) answers, 0 while its breaker is open")
        .register(registry);
    storeErrors();
  }

  /** Refusals since start, by tenant, then by {@link LimitKind#label()}. */
  Map<TenantId, Map<String, Long>> refusals() {
    Map<TenantId, Map<String, Long>> out = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
    refusals.forEach(
        (tenant, kinds) -> {
          Map<String, Long> byKind = new TreeMap<>();
          kinds.forEach((k, n) -> byKind.put(k.label(), n.get()));
          out.put(tenant, byKind);
        });
    return out;
  }

  private Counter storeErrors() {
    return counter(
        "store-errors",
        () ->
            Counter.builder("mesh.limits.store.errors")
                .description("Calls to the shared limit store that failed or timed out")
                .register(registry));
  }

  private Counter refusedCounter(TenantId tenant, LimitKind kind, String scope) {
    return counter(
        "refused|" + tenant.value() + "|" + kind.label() + "|" + scope,
        () ->
            Counter.builder("mesh.limits.refused")
                .description("Requests refused by their tenant's limits")
                .tag("tenant", tenant.value())
                .tag("limit", kind.label())
                .tag("scope", scope)
                .register(registry));
  }

  private Counter counter(String key, java.util.function.Supplier<Counter> make) {
    return counters.computeIfAbsent(key, k -> make.get());
  }
}
