package dev.coemesh.planner.latency;

/**
 * DistServe's closed-form step latencies (ALGORITHMS.md 2.2): prefill {@code a + b*sum(len) +
 * c*sum(len^2)} ms, decode {@code a + b*sum(ctx) + c*batch} ms. The coefficients can come from a
 * fitted profile file or from published numbers.
 */
public record QuadraticLatencyModel(
    double prefillBaseMs,
    double prefillMsPerToken,
    double prefillMsPerSquaredToken,
    double decodeBaseMs,
    double decodeMsPerContextToken,
    double decodeMsPerSequence)
    implements LatencyModel {

  public QuadraticLatencyModel {
    for (double coefficient :
        new double[] {
          prefillBaseMs,
          prefillMsPerToken,
          prefillMsPerSquaredToken,
          decodeBaseMs,
          decodeMsPerContextToken,
          decodeMsPerSequence
        }) {
      if (!(coefficient >= 0) || Double.isInfinite(coefficient)) {
        throw new IllegalArgumentException("coefficients must be finite and >= 0: " + coefficient);
      }
    }
  }

  /**
   * OPT-13B at TP 1 on an A100-80G, from DistServe's {@code profiler-a100-80g.distserve.json} as
   * quoted in ALGORITHMS.md 2.2 (the decode set is the small-batch one, batch &lt; 95).
   */
  public static QuadraticLatencyModel opt13bTp1A100() {
    return new QuadraticLatencyModel(18.10, 0.1019, 7.12e-6, 19.93, 6.27e-4, 0.0385);
  }

  @Override
  public double prefillMs(int[] promptLengths) {
    double tokens = 0;
    double squares = 0;
    for (int length : promptLengths) {
      tokens += length;
      squares += (double) length * length;
    }
    return prefillBaseMs + prefillMsPerToken * tokens + prefillMsPerSquaredToken * squares;
  }

  @Override
  public double decodeStepMs(int batchSize, long contextTokens) {
    return decodeBaseMs + decodeMsPerContextToken * contextTokens + decodeMsPerSequence * batchSize;
  }
}
