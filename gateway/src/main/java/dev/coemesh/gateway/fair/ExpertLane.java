package dev.coemesh.gateway.fair;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.tenant.TenantId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The waiting requests of one expert, one queue per tenant, and the requests admitted there. Only
 * tenants with a non-empty queue appear in {@link #backlog}. Guarded by the scheduler's lock.
 */
final class ExpertLane {
  final ExpertId expert;
  final Map<TenantId, TenantQueue> backlog = new LinkedHashMap<>();
  int inflight; // admitted here and not finished
  int batchInflight; // of those, batch requests: at most VtcOptions.batchLimit(limit)
  TenantState lastDeparted; // whose FIFO emptied last, for the paper's lift

  ExpertLane(ExpertId expert) {
    this.expert = expert;
  }
}
