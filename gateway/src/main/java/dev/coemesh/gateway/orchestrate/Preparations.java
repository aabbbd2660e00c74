package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests of each tenant between arrival and the fair queue: being parsed into a prompt, routed
 * and tokenized. That work happens before the fair scheduler sees the request, so it is charged to
 * the tenant's limits here: a tenant may prepare at most as many requests at once as it may have
 * queued and running, and one more is refused like a full queue. Without this, one tenant's burst
 * of long prompts would hold every worker thread before any of its limits applied.
 */
final class Preparations {
  private final ConcurrentHashMap<TenantId, AtomicInteger> active = new ConcurrentHashMap<>();

  /** Whether {@code tenant} may start preparing one more request; if so, {@link #exit} follows. */
  boolean tryEnter(Tenant tenant) {
    int limit = tenant.maxQueued() + tenant.maxConcurrent();
    AtomicInteger count = active.computeIfAbsent(tenant.id(), t -> new AtomicInteger());
    if (count.incrementAndGet() > limit) {
      count.decrementAndGet();
      return false;
    }
    return true;
  }

  void exit(Tenant tenant) {
    active.get(tenant.id()).decrementAndGet();
  }

  /** Requests {@code tenant} is preparing now. */
  int active(TenantId tenant) {
    AtomicInteger count = active.get(tenant);
    return count == null ? 0 : count.get();
  }
}
