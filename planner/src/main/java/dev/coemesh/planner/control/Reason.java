package dev.coemesh.planner.control;

/** Why a phase has the replica count the planner asks for; a closed set, used as a metric label. */
public enum Reason {
  /** Nothing calls for a change. */
  STEADY("steady"),
  /** The throughput loop's floor for the predicted load is above the current count. */
  LOAD_FLOOR("load-floor"),
  /** SLO attainment stayed below target: one more replica. */
  SLO_MISSED("slo-missed"),
  /** Attainment stayed comfortable and the survivors stay under the threshold: one fewer. */
  SLO_MET("slo-met"),
  /** Attainment is comfortable but removing a replica would overload the survivors. */
  SURVIVORS_WOULD_OVERLOAD("survivors-would-overload"),
  /** A change is due but the last one is too recent. */
  COOL_DOWN("cool-down"),
  /** Asked-for replicas are not ready yet: nothing more is added meanwhile. */
  PENDING("pending"),
  /** Asked-for replicas stayed unready past the timeout: planned with the ready ones. */
  PENDING_TIMEOUT("pending-timeout"),
  /**
   * More replicas serve than asked for, past the timeout (someone scaled the pool by hand): the
   * planner adopts them instead of reverting the edit.
   */
  ADOPTED("adopted"),
  /** The count was raised to the Expert's minimum. */
  MIN_BOUND("min-bound"),
  /** The count was held at the Expert's maximum. */
  MAX_BOUND("max-bound"),
  /** The Expert pauses the planner: the replicas it has are kept. */
  PAUSED("paused");

  private final String label;

  Reason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
