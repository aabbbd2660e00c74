package dev.coemesh.core.spi;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.tenant.Tenant;
import java.util.function.Consumer;

/**
 * Tenant-fair admission in front of the experts (VTC in the gateway). Requests wait in per-tenant
 * queues; when an expert has capacity the scheduler admits the waiting request whose tenant has
 * received the least weighted service, and charges the tenant as tokens are consumed.
 *
 * <p>Thread-safe. {@link #submit} never blocks: it queues or throws {@link
 * dev.coemesh.core.error.MeshException} with {@code TENANT_QUEUE_FULL} (and a retry hint) at once.
 * The admitted callback runs on a scheduler thread and must not block.
 */
public interface FairScheduler extends AutoCloseable {

  /**
   * Queues one request.
   *
   * @param inputTokens prompt tokens, charged when the request is admitted
   * @param onAdmitted called once when the request may start
   * @return a ticket the caller must finish exactly once ({@link Ticket#complete} or {@link
   *     Ticket#cancel})
   */
  Ticket submit(Tenant tenant, ExpertId expert, int inputTokens, Consumer<Ticket> onAdmitted);

  /** The serving side's capacity changed (a request finished elsewhere, replicas scaled). */
  void capacityChanged(ExpertId expert);

  @Override
  void close();

  /** One queued or admitted request. */
  interface Ticket {
    /** Charges generated tokens as they stream. */
    void chargeOutput(int tokens);

    /** The request finished: frees its concurrency slot and lets the next one in. */
    void complete();

    /** Removes a waiting request, or completes an admitted one; idempotent with complete. */
    void cancel();

    boolean admitted();

    /** Suggested {@code Retry-After} when queues are full, in seconds. */
    default int retryAfterSeconds() {
      return 1;
    }
  }
}
