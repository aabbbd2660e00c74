package dev.coemesh.pool.engine;

/**
 * Engine tunables, read once at construction.
 *
 * @param threads matmul/attention workers (default: available cores)
 * @param blockSize positions per KV block
 * @param kvBlocks blocks in the pool; bounds the KV memory to {@code kvBlocks × blockSize × layers
 *     × 2 × kvDim × 4} bytes
 */
public record EngineOptions(int threads, int blockSize, int kvBlocks) {
  public EngineOptions {
    if (threads < 1 || blockSize < 1 || kvBlocks < 1) {
      throw new IllegalArgumentException("threads, block size and block count must be >= 1");
    }
  }

  public static EngineOptions defaults() {
    return new EngineOptions(Runtime.getRuntime().availableProcessors(), 16, 1024);
  }

  public EngineOptions withThreads(int n) {
    return new EngineOptions(n, blockSize, kvBlocks);
  }

  public EngineOptions withKvBlocks(int n) {
    return new EngineOptions(threads, blockSize, n);
  }
}
