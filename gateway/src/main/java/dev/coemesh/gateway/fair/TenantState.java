package dev.coemesh.gateway.fair;

import dev.coemesh.core.tenant.Tenant;

/** One tenant's counter, service and slots. Guarded by the scheduler's lock. */
final class TenantState {
  private static final double HOLD_EWMA_ALPHA = 0.2;

  Tenant config; // the latest seen: limits and weight may be reloaded
  double counter; // virtual tokens: Σ (w_p·input + w_q·output) / weight, plus lifts
  long inputServed; // prompt tokens admitted by this replica
  long outputServed; // output tokens charged by this replica
  int queued; // over all experts
  int running; // admitted and not finished
  long publishedInput; // inputServed and outputServed as last published to other replicas
  long publishedOutput;
  long remoteInput; // what the other replicas reported serving, as far as seen here
  long remoteOutput;
  private double holdNanosEwma; // how long an admitted request keeps its slot, 0 until known

  TenantState(Tenant config, double counter) {
    this.config = config;
    this.counter = counter;
  }

  void charge(VtcOptions options, long input, long output) {
    counter += options.cost(input, output) / config.weight();
  }

  void recordHold(long nanos) {
    holdNanosEwma =
        holdNanosEwma == 0 ? nanos : holdNanosEwma + HOLD_EWMA_ALPHA * (nanos - holdNanosEwma);
  }

  /** About when one of the tenant's running requests frees a slot, in whole seconds, 1..60. */
  int retryAfterSeconds() {
    double seconds = holdNanosEwma / 1e9 / Math.max(1, running);
    return (int) Math.min(60, Math.max(1, Math.ceil(seconds)));
  }
}
