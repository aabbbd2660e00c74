package dev.coemesh.core.request;

/**
 * Per-request timings, DistServe definitions, all in milliseconds; NaN where a stage did not run.
 *
 * @param queueMs admission until the engine started the prefill
 * @param ttftMs arrival until the first token was available (time to first token)
 * @param tpotMs mean time per output token after the first: (end - first) / (n - 1)
 * @param kvEncodeMs codec encode time on the prefill side
 * @param kvTransferMs store write plus read time of the KV chunks
 * @param kvDecodeMs codec decode time on the decode side
 */
public record RequestTimings(
    double queueMs,
    double ttftMs,
    double tpotMs,
    double kvEncodeMs,
    double kvTransferMs,
    double kvDecodeMs) {

  public static RequestTimings colocated(double queueMs, double ttftMs, double tpotMs) {
    return new RequestTimings(queueMs, ttftMs, tpotMs, Double.NaN, Double.NaN, Double.NaN);
  }

  /** TPOT as DistServe defines it; 0 for a single output token. */
  public static double tpot(long firstTokenNanos, long lastTokenNanos, int outputTokens) {
    return outputTokens <= 1 ? 0 : (lastTokenNanos - firstTokenNanos) / 1e6 / (outputTokens - 1);
  }
}
