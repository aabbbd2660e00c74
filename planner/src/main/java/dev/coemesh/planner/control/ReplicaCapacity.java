package dev.coemesh.planner.control;

/**
 * What one replica of a phase serves, from a profile or from observed throughput, and the latency
 * objective the phase is sized for.
 *
 * <p>A queued phase (prefill, colocated) serves one request at a time per unit of capacity and its
 * TTFT includes the wait: with utilisation {@code rho} the predicted latency is {@code service / (1
 * - rho)} (M/M/1), so the highest utilisation that meets the objective is {@code 1 - service /
 * slo}. Leaving the wait out is the under-provisioning of ai-dynamo/dynamo#10528. A batched phase
 * (decode) keeps its TPOT while the batch fits, so only the utilisation cap applies.
 *
 * @param replicaRps requests per second one fully busy replica completes in this phase
 * @param serviceMs an unqueued request's latency in this phase (prefill time, or time per output
 *     token for decode)
 * @param sloMs the objective for that latency (TTFT, or TPOT)
 * @param queued whether requests wait for the replica (prefill, colocated) or join a batch (decode)
 */
public record ReplicaCapacity(double replicaRps, double serviceMs, double sloMs, boolean queued) {
  public ReplicaCapacity {
    if (!(replicaRps > 0) || !(serviceMs > 0) || !(sloMs > 0)) {
      throw new IllegalArgumentException(
          "replica capacity needs positive rates and times: " + this);
    }
  }

  /**
   * The utilisation a replica may run at and still meet the objective.
   *
   * @param latencyRatio observed over expected latency (1 when they agree, NaN when unknown): a
   *     replica slower than its profile serves fewer requests and takes longer for each
   * @param cap the planner's utilisation ceiling, in (0, 1]
   * @return in [0, cap]; 0 when even an unqueued request misses the objective
   */
  public double maxUtilisation(double latencyRatio, double cap) {
    if (!queued) {
      return serviceMs * ratio(latencyRatio) <= sloMs ? cap : 0;
    }
    return Math.max(0, Math.min(cap, 1 - serviceMs * ratio(latencyRatio) / sloMs));
  }

  /** The requests per second one replica serves within the objective. */
  public double sustainableRps(double latencyRatio, double cap) {
    return replicaRps / ratio(latencyRatio) * maxUtilisation(latencyRatio, cap);
  }

  /** Predicted utilisation of each of {@code replicas} replicas sharing {@code arrivalRps}. */
  public double utilisation(double arrivalRps, int replicas, double latencyRatio) {
    if (replicas <= 0) {
      return arrivalRps > 0 ? Double.POSITIVE_INFINITY : 0;
    }
    return arrivalRps * ratio(latencyRatio) / (replicas * replicaRps);
  }

  /** The ratio as a correction: unknown counts as 1, and it is kept within [0.25, 4]. */
  static double ratio(double latencyRatio) {
    return Double.isFinite(latencyRatio) && latencyRatio > 0
        ? Math.max(0.25, Math.min(4, latencyRatio))
        : 1;
  }
}
