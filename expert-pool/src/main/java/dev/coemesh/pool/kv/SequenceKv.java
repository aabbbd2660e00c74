package dev.coemesh.pool.kv;

import dev.coemesh.core.kv.BlockHashes;
import java.util.Arrays;

/**
 * One sequence's view of the paged KV cache: its block table, the tokens whose KV is stored, and
 * the chained hashes of its full blocks. Positions map to {@code (blockTable[p / blockSize], p %
 * blockSize)}.
 *
 * <p>The hashes chain from the sequence's cache-scope root ({@link BlockHashes#root}), so prefix
 * matching and the blocks it publishes stay within that scope: equal prompts of two tenants hash
 * apart and never share blocks.
 */
public final class SequenceKv {
  private final BlockPool pool;
  private final long root;
  private int[] blockTable = new int[8];
  private int blockCount;
  private int[] tokens = new int[64];
  private int length; // positions with KV written
  private long lastHash;
  private int hashedBlocks;
  private boolean released;

  /** A sequence in the shared cache scope {@link BlockHashes#ROOT}. */
  public SequenceKv(BlockPool pool) {
    this(pool, BlockHashes.ROOT);
  }

  /** A sequence whose block hashes chain from {@code root}. */
  public SequenceKv(BlockPool pool, long root) {
    this.pool = pool;
    this.root = root;
    this.lastHash = root;
  }

  /** The seed of this sequence's block-hash chain (its prefix-cache scope). */
  public long root() {
    return root;
  }

  public int length() {
    return length;
  }

  public int blockCount() {
    return blockCount;
  }

  public int block(int index) {
    return blockTable[index];
  }

  /** Flat offset of position {@code p} in the pool's per-layer arrays. */
  public int offset(int p) {
    int bs = pool.blockSize();
    return pool.offset(blockTable[p / bs], p % bs);
  }

  /**
   * Reuses cached full blocks for the longest prefix of {@code prompt} that the pool holds, leaving
   * at least one token to compute (the last position's logits are needed). Only for a fresh
   * sequence. Returns the number of positions reused.
   */
  public int reusePrefix(int[] prompt, int promptLength) {
    if (length != 0 || blockCount != 0) {
      throw new IllegalStateException("prefix reuse needs an empty sequence");
    }
    int bs = pool.blockSize();
    int maxBlocks = (promptLength - 1) / bs;
    long hash = root;
    for (int b = 0; b < maxBlocks; b++) {
      long next = BlockHashes.next(hash, prompt, b * bs, bs);
      int block = pool.acquireCached(next);
      if (block < 0) {
        break;
      }
      hash = next;
      addBlock(block);
      appendTokens(prompt, b * bs, bs);
      length += bs;
      hashedBlocks++;
      lastHash = next;
    }
    return length;
  }

  /**
   * Makes room for positions up to {@code newLength}; false (nothing changed) when blocks run out.
   */
  public boolean reserve(int newLength) {
    int bs = pool.blockSize();
    int needed = (newLength + bs - 1) / bs - blockCount;
    if (needed <= 0) {
      return true;
    }
    if (needed > pool.availableBlocks()) {
      return false;
    }
    for (int i = 0; i < needed; i++) {
      addBlock(pool.allocate());
    }
    return true;
  }

  /** Blocks still needed to hold {@code newLength} positions. */
  public int blocksNeeded(int newLength) {
    int bs = pool.blockSize();
    return Math.max(0, (newLength + bs - 1) / bs - blockCount);
  }

  /**
   * Records that KV for {@code tokens[from..from+n)} has been written at positions [length,
   * length+n), and publishes every block that became full.
   */
  public void commit(int[] newTokens, int from, int n) {
    appendTokens(newTokens, from, n);
    length += n;
    int bs = pool.blockSize();
    while ((hashedBlocks + 1) * bs <= length) {
      lastHash = BlockHashes.next(lastHash, tokens, hashedBlocks * bs, bs);
      pool.publish(blockTable[hashedBlocks], lastHash);
      hashedBlocks++;
    }
  }

  /** Token ids whose KV is stored, in order. */
  public int[] tokens() {
    return Arrays.copyOf(tokens, length);
  }

  /** Chained hashes of the full blocks, from this sequence's root. */
  public long[] blockHashes() {
    return BlockHashes.chain(root, tokens, length, pool.blockSize());
  }

  /** Returns every block to the pool; idempotent. */
  public void release() {
    if (released) {
      return;
    }
    released = true;
    for (int i = 0; i < blockCount; i++) {
      pool.release(blockTable[i]);
    }
    blockCount = 0;
    length = 0;
  }

  public boolean isReleased() {
    return released;
  }

  private void addBlock(int block) {
    if (blockCount == blockTable.length) {
      blockTable = Arrays.copyOf(blockTable, blockCount * 2);
    }
    blockTable[blockCount++] = block;
  }

  private void appendTokens(int[] source, int from, int n) {
    if (length + n > tokens.length) {
      tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, length + n));
    }
    System.arraycopy(source, from, tokens, length, n);
  }
}
