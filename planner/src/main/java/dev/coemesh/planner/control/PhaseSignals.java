package dev.coemesh.planner.control;

/**
 * What the planner knows of one phase at one tick.
 *
 * @param nowMs the tick's time, epoch milliseconds
 * @param arrivalRps requests per second arriving at the phase (the router's placements)
 * @param latencyRatio observed over the profile's expected latency at the observed load; NaN when
 *     unknown
 * @param attainment the phase's SLO attainment from {@code mesh.slo} (TTFT for prefill and
 *     colocated, TPOT for decode); NaN when no request finished in the window
 * @param readyReplicas replicas that serve (announced and ready); pending pods are not counted, and
 *     a draining replica stops counting when it leaves the eligible set
 */
public record PhaseSignals(
    long nowMs, double arrivalRps, double latencyRatio, double attainment, int readyReplicas) {
  public PhaseSignals {
    if (!(arrivalRps >= 0) || readyReplicas < 0) {
      throw new IllegalArgumentException("negative or unknown signal: " + this);
    }
  }
}
