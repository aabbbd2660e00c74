package dev.coemesh.planner.workload;

/** One simulated request: when it arrives and how many tokens it reads and writes. */
public record Request(int id, double arrivalMs, int inputTokens, int outputTokens) {
  public Request {
    if (!(arrivalMs >= 0) || Double.isInfinite(arrivalMs)) {
      throw new IllegalArgumentException("arrivalMs must be finite and >= 0: " + arrivalMs);
    }
    if (inputTokens < 1 || outputTokens < 1) {
      throw new IllegalArgumentException(
          "input and output must be >= 1 token: " + inputTokens + ", " + outputTokens);
    }
  }
}
