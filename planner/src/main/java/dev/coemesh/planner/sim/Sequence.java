package dev.coemesh.planner.sim;

import dev.coemesh.planner.workload.Request;

/** A request in flight: the tokens it has produced so far and when. */
final class Sequence {
  final Request request;
  private int generated;
  private double firstTokenMs;
  private double lastTokenMs;

  Sequence(Request request) {
    this.request = request;
  }

  /** Records one token at {@code nowMs}; true when it was the last. */
  boolean emitToken(double nowMs) {
    if (generated == 0) {
      firstTokenMs = nowMs;
    }
    generated++;
    lastTokenMs = nowMs;
    return generated == request.outputTokens();
  }

  long contextTokens() {
    return (long) request.inputTokens() + generated;
  }

  /** Prompt plus every output token: the KV the sequence holds at its end. */
  long finalContextTokens() {
    return (long) request.inputTokens() + request.outputTokens();
  }

  RequestOutcome outcome() {
    double ttft = firstTokenMs - request.arrivalMs();
    int outputs = request.outputTokens();
    double tpot = outputs == 1 ? 0 : (lastTokenMs - firstTokenMs) / (outputs - 1);
    return new RequestOutcome(request, ttft, tpot, lastTokenMs);
  }
}
