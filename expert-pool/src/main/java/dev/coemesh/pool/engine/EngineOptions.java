package dev.coemesh.pool.engine;

import dev.coemesh.pool.kv.KvPrecision;

/**
 * Engine tunables, read once at construction.
 *
 * @param threads matmul/attention workers (default: available cores)
 * @param blockSize positions per KV block
 * @param kvBlocks blocks in the pool; bounds the KV memory to {@code kvBlocks × blockSize × layers
 *     × 2 × kvDim × kvPrecision.bytes()} bytes
 * @param kvPrecision how K and V are stored (default {@link #DEFAULT_KV_PRECISION})
 */
public record EngineOptions(int threads, int blockSize, int kvBlocks, KvPrecision kvPrecision) {
  /**
   * 16-bit K and V by default, as vLLM keeps them in the model's 16-bit type: half the memory per
   * block (twice the sequences per pool) and half attention's memory traffic. Every kernel sums a
   * token's outputs in the same order whatever the batch, so prefill and single steps round alike.
   */
  public static final KvPrecision DEFAULT_KV_PRECISION = KvPrecision.F16;

  public EngineOptions {
    if (threads < 1 || blockSize < 1 || kvBlocks < 1) {
      throw new IllegalArgumentException("threads, block size and block count must be >= 1");
    }
    if (kvPrecision == null) {
      throw new IllegalArgumentException("KV precision must be set");
    }
  }

  public EngineOptions(int threads, int blockSize, int kvBlocks) {
    this(threads, blockSize, kvBlocks, DEFAULT_KV_PRECISION);
  }

  public static EngineOptions defaults() {
    return new EngineOptions(Runtime.getRuntime().availableProcessors(), 16, 1024);
  }

  public EngineOptions withThreads(int n) {
    return new EngineOptions(n, blockSize, kvBlocks, kvPrecision);
  }

  public EngineOptions withKvBlocks(int n) {
    return new EngineOptions(threads, blockSize, n, kvPrecision);
  }

  public EngineOptions withKvPrecision(KvPrecision precision) {
    return new EngineOptions(threads, blockSize, kvBlocks, precision);
  }
}
