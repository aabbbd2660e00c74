package dev.coemesh.core.spi;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;

/**
 * A model engine with a paged KV cache: sequences are handles to per-sequence KV state held in a
 * bounded block pool. Prefill and decode are the same operation, a {@link #step} that appends
 * tokens to sequences and returns each sequence's last-position logits: a prompt is many tokens of
 * one sequence (processed as matrix-matrix work), a decode step is one token of each running
 * sequence.
 *
 * <p>Not thread-safe: one caller (the scheduler thread) drives an engine; the engine parallelises
 * inside a step. Methods throw {@link dev.coemesh.core.error.MeshException} ({@code
 * CAPACITY_EXHAUSTED} when blocks run out, {@code CONTEXT_LENGTH_EXCEEDED}, {@code INVALID_REQUEST}
 * for unknown handles or token ids) and leave the engine unchanged when they do.
 */
public interface ModelEngine extends AutoCloseable {

  String modelName();

  /** Identifies the weights; KV from another fingerprint must never be imported. */
  ModelFingerprint fingerprint();

  int vocabularySize();

  int contextLength();

  /** Positions per KV block. */
  int blockSize();

  int totalBlocks();

  /** Blocks an allocation could get now (free plus unreferenced cached blocks). */
  int availableBlocks();

  /** Token ids of {@code text}, with BOS first when asked. */
  int[] tokenize(String text, boolean bos);

  /**
   * A new, empty sequence whose full blocks hash in the cache scope {@code prefixRoot} ({@link
   * dev.coemesh.core.kv.BlockHashes#root}): it reuses, and publishes, prefix blocks of that scope
   * only, so requests of different scopes (tenants) never share cached KV.
   */
  int newSequence(long prefixRoot);

  /**
   * A new, empty sequence in the shared cache scope {@link dev.coemesh.core.kv.BlockHashes#ROOT}.
   */
  default int newSequence() {
    return newSequence(dev.coemesh.core.kv.BlockHashes.ROOT);
  }

  /**
   * Attaches cached KV blocks for the longest cached prefix of {@code prompt} to an empty sequence
   * (never the whole prompt: the last position is always computed); returns positions reused.
   */
  int reusePrefix(int sequence, int[] prompt);

  /**
   * Appends {@code tokens[i]} to {@code sequences[i]} and returns the logits after each sequence's
   * last new token, {@code [sequences.length][vocab]}. Blocks for all of them are reserved first;
   * if they do not fit nothing is computed.
   */
  float[][] step(int[] sequences, int[][] tokens);

  /**
   * {@link #step}, with the rows in buffers the engine reuses: they stay valid through the next
   * call and may be overwritten by the one after it. For callers that sample at once (the
   * scheduler): it spares a batch-16 step of a 32k-vocabulary model 2 MB of fresh memory.
   */
  default float[][] stepReused(int[] sequences, int[][] tokens) {
    return step(sequences, tokens);
  }

  /** Positions stored for the sequence. */
  int length(int sequence);

  /** Blocks a sequence needs to grow by {@code extraTokens} positions. */
  int blocksNeeded(int sequence, int extraTokens);

  /** The sequence's KV as {@code [layer][K|V][token][kvDim]}. */
  KvTensor exportKv(int sequence);

  /** Fills an empty sequence with imported KV for {@code tokens} (which produced it). */
  void importKv(int sequence, KvTensor kv, int[] tokens);

  /** Chained hashes of the sequence's full blocks, from its cache scope's root. */
  long[] blockHashes(int sequence);

  /** Returns the sequence's blocks to the pool; idempotent. */
  void free(int sequence);

  @Override
  void close();
}
