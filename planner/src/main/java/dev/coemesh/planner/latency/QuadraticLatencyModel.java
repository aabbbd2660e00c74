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
      // a fitted profile may have a small negative term (e.g. the squared one); only the
      // latencies it predicts over its grid need to be positive
      if (!Double.isFinite(coefficient)) {
        throw new IllegalArgumentException("coefficients must be finite: " + coefficient);
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

  /**
   * One forward pass pays its fixed cost (weights streamed, kernels launched) once: the mixed step
   * is both phases' variable costs plus the larger of the two fixed costs.
   */
  @Override
  public double mixedStepMs(int[] promptLengths, int decodeBatch, long decodeContextTokens) {
    if (promptLengths.length == 0) {
      return decodeStepMs(decodeBatch, decodeContextTokens);
    }
    double prefill = prefillMs(promptLengths);
    if (decodeBatch == 0) {
      return prefill;
    }
    return prefill
        - prefillBaseMs
        + decodeStepMs(decodeBatch, decodeContextTokens)
        - decodeBaseMs
        + Math.max(prefillBaseMs, decodeBaseMs);
  }

  @Override
  public double decodeStepMs(int batchSize, long contextTokens) {
    return decodeBaseMs + decodeMsPerContextToken * contextTokens + decodeMsPerSequence * batchSize;
  }
}
