package dev.coemesh.gateway.limit;

/**
 * A request's hold on its tenant's shared limits from its admission by the limits to its terminal
 * event: its slot among the tenant's concurrent requests and the tokens reserved for it.
 */
@FunctionalInterface
public interface Lease {
  /** Nothing to hand back: local limits, or a tenant the store never saw. */
  Lease NONE = usedTokens -> {};

  /**
   * Hands the slot back and reconciles the reservation with {@code usedTokens}, the tokens the
   * request was charged for (prompt once admitted to run, and each output token): what it reserved
   * and did not use is refunded. Called once, on every exit path; never blocks, never throws.
   */
  void release(long usedTokens);
}
