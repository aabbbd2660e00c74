package dev.coemesh.core.spi;

/**
 * The model engine behind an expert replica. The embedded implementation and its full contract
 * (prefill as matrix-matrix work returning last-position logits, one decode step over a batch,
 * paged KV cache with export/import as {@link dev.coemesh.core.kv.KvTensor}) live in {@code
 * expert-pool}; this marker names the SPI for modules that only need to hold an engine.
 */
public interface ModelEngine extends AutoCloseable {

  /** The model's name as configured for its expert. */
  String modelName();

  @Override
  void close();
}
