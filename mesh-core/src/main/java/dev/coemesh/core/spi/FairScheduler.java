package dev.coemesh.core.spi;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.function.Consumer;

/**
 * Tenant-fair admission in front of the experts (VTC in the gateway). Requests wait in per-tenant
 * queues; when an expert has capacity the scheduler admits the waiting request whose tenant has
 * received the least weighted service, and charges the tenant as tokens are consumed.
 *
 * <p>Thread-safe. {@link #submit} never blocks: it queues, admits at once, or throws {@link
 * dev.coemesh.core.error.MeshException} with {@code TENANT_QUEUE_FULL} (then {@link
 * #retryAfterSeconds} gives the {@code Retry-After} hint). The admitted callback runs exactly once
 * per admitted ticket, on the thread whose call made room ({@code submit}, {@code complete}, {@code
 * cancel} or {@code capacityChanged}, possibly during {@code submit} before it returns), never
 * under the scheduler's lock; it must not block, and it may call back into the scheduler. It is not
 * called for a ticket that was cancelled before its turn came.
 */
public interface FairScheduler extends AutoCloseable {

  /**
   * Queues one request.
   *
   * @param priority its class within the tenant's share: interactive requests go before the same
   *     tenant's batch ones, and batch requests leave some of an expert's slots free for
   *     interactive ones
   * @param inputTokens prompt tokens (&gt;= 0), charged when the request is admitted
   * @param onAdmitted called once when the request may start
   * @return a ticket the caller must finish exactly once ({@link Ticket#complete} or {@link
   *     Ticket#cancel}); finishing it again does nothing
   */
  Ticket submit(
      Tenant tenant,
      ExpertId expert,
      Priority priority,
      int inputTokens,
      Consumer<Ticket> onAdmitted);

  /** Queues one interactive request. */
  default Ticket submit(
      Tenant tenant, ExpertId expert, int inputTokens, Consumer<Ticket> onAdmitted) {
    return submit(tenant, expert, Priority.INTERACTIVE, inputTokens, onAdmitted);
  }

  /** The serving side's capacity changed (a request finished elsewhere, replicas scaled). */
  void capacityChanged(ExpertId expert);

  /**
   * Suggested {@code Retry-After} in seconds for {@code tenant} after {@code TENANT_QUEUE_FULL}:
   * about how long until one of its requests finishes, at least 1.
   */
  default int retryAfterSeconds(TenantId tenant) {
    return 1;
  }

  @Override
  void close();

  /** One queued or admitted request. */
  interface Ticket {
    /** Charges generated tokens as they stream; ignored unless admitted and not yet finished. */
    void chargeOutput(int tokens);

    /** The request finished: frees its concurrency slot and lets the next one in. */
    void complete();

    /** Removes a waiting request, or completes an admitted one; idempotent with complete. */
    void cancel();

    boolean admitted();
  }
}
