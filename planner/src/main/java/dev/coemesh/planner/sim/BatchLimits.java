package dev.coemesh.planner.sim;

/**
 * What one replica may batch.
 *
 * @param maxBatchSize the most sequences in one step (prefill and running decode together on a
 *     colocated replica)
 * @param maxPrefillTokens the prompt-token budget of one prefill batch; a single longer prompt
 *     still runs alone (no chunked prefill)
 * @param maxDecodeContextTokens the context-token budget of one decode step on a decode replica
 */
public record BatchLimits(int maxBatchSize, int maxPrefillTokens, long maxDecodeContextTokens) {
  public BatchLimits {
    if (maxBatchSize < 1 || maxPrefillTokens < 1 || maxDecodeContextTokens < 1) {
      throw new IllegalArgumentException("limits must be >= 1");
    }
  }

  /** DistServe's evaluation settings: max batch 128, 8192 prefill tokens, 65536 decode tokens. */
  public static BatchLimits distServe() {
    return new BatchLimits(128, 8192, 65_536);
  }
}
