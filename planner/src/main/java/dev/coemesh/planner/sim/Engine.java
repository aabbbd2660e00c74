package dev.coemesh.planner.sim;

import dev.coemesh.planner.latency.LatencyModel;
import java.util.Objects;

/** What every replica of the expert shares: its step latencies, batch limits and KV handoff. */
public record Engine(LatencyModel latency, BatchLimits limits, KvHandoff handoff) {
  public Engine {
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(handoff, "handoff");
  }
}
