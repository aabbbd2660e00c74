package dev.coemesh.gateway.fair;

import dev.coemesh.core.tenant.Priority;
import java.util.ArrayDeque;

/**
 * One tenant's waiting requests at one expert: interactive ones before batch ones, each class in
 * arrival order. VTC picks the tenant; this picks which of its requests goes next, so batch work
 * yields to interactive work only within the tenant's own share. Guarded by the scheduler's lock.
 */
final class TenantQueue {
  private final ArrayDeque<VtcScheduler.Request> interactive = new ArrayDeque<>();
  private final ArrayDeque<VtcScheduler.Request> batch = new ArrayDeque<>();

  void addLast(VtcScheduler.Request r) {
    (r.priority == Priority.BATCH ? batch : interactive).addLast(r);
  }

  void remove(VtcScheduler.Request r) {
    (r.priority == Priority.BATCH ? batch : interactive).remove(r);
  }

  /** The request that goes next when the expert has room for anything; null when empty. */
  VtcScheduler.Request peekFirst() {
    VtcScheduler.Request r = interactive.peekFirst();
    return r != null ? r : batch.peekFirst();
  }

  /**
   * The request that goes next, or null when only batch requests wait and {@code batchRoom} is
   * false (the expert's free slots are the ones held back for interactive requests).
   */
  VtcScheduler.Request next(boolean batchRoom) {
    VtcScheduler.Request r = interactive.peekFirst();
    return r != null || !batchRoom ? r : batch.peekFirst();
  }

  int size() {
    return interactive.size() + batch.size();
  }

  boolean isEmpty() {
    return interactive.isEmpty() && batch.isEmpty();
  }
}
