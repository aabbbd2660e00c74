package dev.coemesh.planner.sim;

import dev.coemesh.planner.latency.LatencyModel;
import java.util.Objects;

/**
 * What every replica of the expert shares: its step latencies, batch limits, KV handoff and how a
 * colocated replica schedules its steps.
 */
public record Engine(
    LatencyModel latency, BatchLimits limits, KvHandoff handoff, ColocatedPolicy colocated) {
  public Engine {
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(handoff, "handoff");
    Objects.requireNonNull(colocated, "colocated");
  }

  /** An engine whose colocated replicas put prefill first, as DistServe's vLLM baseline does. */
  public Engine(LatencyModel latency, BatchLimits limits, KvHandoff handoff) {
    this(latency, limits, handoff, ColocatedPolicy.PREFILL_FIRST);
  }
}
