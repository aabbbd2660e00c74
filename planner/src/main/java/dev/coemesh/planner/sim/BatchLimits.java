package dev.coemesh.planner.sim;

/**
 * What one replica may batch and hold.
 *
 * @param maxBatchSize the most sequences in one step (prefill and running decode together on a
 *     colocated replica)
 * @param maxPrefillTokens the prompt-token budget of one prefill batch; a single longer prompt
 *     still runs alone (no chunked prefill)
 * @param maxDecodeContextTokens the context-token budget of one decode step on a decode replica
 * @param kvCapacityTokens the KV cache one replica holds, in tokens ({@link Long#MAX_VALUE}: no
 *     memory limit). A sequence is admitted only when its reservation fits (see {@link Replica})
 */
public record BatchLimits(
    int maxBatchSize, int maxPrefillTokens, long maxDecodeContextTokens, long kvCapacityTokens) {
  public BatchLimits {
    if (maxBatchSize < 1
        || maxPrefillTokens < 1
        || maxDecodeContextTokens < 1
        || kvCapacityTokens < 1) {
      throw new IllegalArgumentException("limits must be >= 1");
    }
  }

  /** Limits without a KV memory limit. */
  public BatchLimits(int maxBatchSize, int maxPrefillTokens, long maxDecodeContextTokens) {
    this(maxBatchSize, maxPrefillTokens, maxDecodeContextTokens, Long.MAX_VALUE);
  }

  /** DistServe's evaluation settings: max batch 128, 8192 prefill tokens, 65536 decode tokens. */
  public static BatchLimits distServe() {
    return new BatchLimits(128, 8192, 65_536);
  }

  public BatchLimits withKvCapacity(long tokens) {
    return new BatchLimits(maxBatchSize, maxPrefillTokens, maxDecodeContextTokens, tokens);
  }

  /**
   * The KV tokens OPT-13B leaves free on one A100-80G at DistServe's 0.95 memory utilisation
   * (ALGORITHMS.md 2.3): (0.95 x 80e9 B - 12.85e9 parameters x 2 B) / (2 (K and V) x 40 layers x
   * 5120 hidden x 2 B per token) = 61 400 tokens, rounded down. The model shape is OPT-13B's
   * published configuration; activations and the CUDA context are not subtracted, so this is an
   * upper bound.
   */
  public static long opt13bA100KvTokens() {
    long free = (long) (0.95 * 80e9) - (long) (12.85e9 * 2);
    long perToken = 2L * 40 * 5120 * 2;
    return free / perToken;
  }
}
