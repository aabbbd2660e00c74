package dev.coemesh.planner.sim;

import dev.coemesh.planner.workload.Request;

/**
 * One finished request. {@code ttftMs} is first token minus arrival, queue wait included; {@code
 * tpotMs} is {@code (last - first) / (output - 1)}, or 0 for a single output token.
 */
public record RequestOutcome(Request request, double ttftMs, double tpotMs, double finishMs) {}
