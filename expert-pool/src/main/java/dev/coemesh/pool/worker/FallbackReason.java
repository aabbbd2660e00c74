package dev.coemesh.pool.worker;

/**
 * Why a decode replica recomputed the prompt instead of using the handed-over KV (a metric label).
 */
public enum FallbackReason {
  /** The store had no entry (expired, evicted, never written). */
  KV_MISSING,
  /** The blob failed its integrity or format checks, or did not fit this model. */
  KV_CORRUPT,
  /** The store did not answer within the timeout, or prefill's write to it failed. */
  STORE_UNAVAILABLE,
  /**
   * Prefill predicted that fetching the KV would take longer than recomputing the prompt and wrote
   * none (CacheGen's text level, {@code HandoffController}).
   */
  PREDICTED_SLOWER
}
