package dev.coemesh.gateway.fair;

/**
 * How far a tenant's counter is raised when its queue at an expert becomes non-empty (ALGORITHMS.md
 * §3.2). Without a lift, a tenant that was idle keeps a low counter, returns, and monopolises the
 * expert until it has caught up with everyone else's service.
 */
public enum LiftRule {
  /**
   * The artifact's rule: raise to the smallest counter among the other tenants backlogged at the
   * expert; no lift when nobody else is waiting.
   */
  BACKLOGGED_MIN,
  /**
   * The artifact's rule, and when nobody else is waiting the paper's: raise to the current counter
   * of the tenant whose queue at that expert emptied last. This also covers a tenant returning
   * while the others' requests are all running and none is queued.
   */
  BACKLOGGED_MIN_OR_LAST_DEPARTED,
  /** No lift: "least counter first", the ablation baseline. */
  NONE
}
