package dev.coemesh.pool.kv;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded pool of fixed-size KV-cache blocks. Each block holds {@code blockSize} positions of
 * keys and values for every layer, in {@code blockSize * kvDim} values of a layer's array starting
 * at {@code block * blockSize * kvDim}, as floats or, with {@link KvPrecision#F16}, as IEEE
 * half-precision values in {@code short}s. Within a block the layout serves attention, which reads
 * one KV head of one block at a time:
 *
 * <ul>
 *   <li>keys are transposed, {@code [c][slot]} for channel {@code c = head*headSize + d}: a head's
 *       scores for the block's positions are one vector of multiply-adds per channel, with no
 *       horizontal sums;
 *   <li>values are head-major, {@code [head][slot][d]}: a head's values for the block are one
 *       contiguous run.
 * </ul>
 *
 * Callers address a position by {@link #offset}; {@link #write} and {@link #read} move one
 * position's K and V rows in and out of that layout.
 *
 * <p>Full blocks are published under their chained content hash so later sequences with the same
 * prefix share them (reference counted). A published block whose count drops to zero stays cached
 * and is evicted least-recently-used when a free block is needed. Not thread-safe: owned by the
 * engine's step thread.
 */
public final class BlockPool {
  private final int blockSize;
  private final int blocks;
  private final int kvDim;
  private final int headSize;
  private final KvPrecision precision;
  // [layer][blocks*blockSize*kvDim], the pair of the pool's precision (the other pair is null)
  private final float[][] keys;
  private final float[][] values;
  private final short[][] halfKeys;
  private final short[][] halfValues;
  private final int[] refCount; // [blocks]
  private final long[] hashOf; // [blocks], valid when published[b]
  private final boolean[] published; // [blocks]
  private final ArrayDeque<Integer> free = new ArrayDeque<>();

  /** Published blocks by hash, least recently used first. */
  private final LinkedHashMap<Long, Integer> cache = new LinkedHashMap<>(16, 0.75f, true);

  private int evictableCount;
  // volatile: a replica's announcer may install it while the engine thread already serves
  private volatile KvBlockListener listener = KvBlockListener.NONE;
  private long reusedBlocks;

  /** One KV head of {@code kvDim} channels, float storage. */
  public BlockPool(int layers, int kvDim, int blockSize, int blocks) {
    this(layers, kvDim, kvDim, blockSize, blocks, KvPrecision.F32);
  }

  /** One KV head of {@code kvDim} channels. */
  public BlockPool(int layers, int kvDim, int blockSize, int blocks, KvPrecision precision) {
    this(layers, kvDim, kvDim, blockSize, blocks, precision);
  }

  public BlockPool(
      int layers, int kvDim, int headSize, int blockSize, int blocks, KvPrecision precision) {
    if (layers < 1 || kvDim < 1 || headSize < 1 || blockSize < 1 || blocks < 1) {
      throw new IllegalArgumentException("block pool dimensions must be positive");
    }
    if (kvDim % headSize != 0) {
      throw new IllegalArgumentException(
          "kvDim " + kvDim + " is not whole heads of " + headSize + " channels");
    }
    this.blockSize = blockSize;
    this.blocks = blocks;
    this.kvDim = kvDim;
    this.headSize = headSize;
    this.precision = precision;
    int valuesPerLayer = Math.multiplyExact(Math.multiplyExact(blocks, blockSize), kvDim);
    boolean half = precision == KvPrecision.F16;
    this.keys = half ? null : new float[layers][valuesPerLayer];
    this.values = half ? null : new float[layers][valuesPerLayer];
    this.halfKeys = half ? new short[layers][valuesPerLayer] : null;
    this.halfValues = half ? new short[layers][valuesPerLayer] : null;
    this.refCount = new int[blocks];
    this.hashOf = new long[blocks];
    this.published = new boolean[blocks];
    for (int b = 0; b < blocks; b++) {
      free.add(b);
    }
  }

  public void setListener(KvBlockListener listener) {
    this.listener = listener == null ? KvBlockListener.NONE : listener;
  }

  public int blockSize() {
    return blockSize;
  }

  public int totalBlocks() {
    return blocks;
  }

  public int kvDim() {
    return kvDim;
  }

  /** Blocks that an allocation can get now: free plus cached-but-unreferenced. */
  public int availableBlocks() {
    return free.size() + evictableCount;
  }

  /** Blocks referenced by at least one sequence. */
  public int usedBlocks() {
    return blocks - availableBlocks();
  }

  /** Published blocks held (referenced or not): what the prefix cache can serve. */
  public int cachedBlocks() {
    return cache.size();
  }

  /** Prefix blocks reused instead of recomputed, since start. */
  public long reusedBlocks() {
    return reusedBlocks;
  }

  public KvPrecision precision() {
    return precision;
  }

  /** Bytes of K and V storage, all layers and blocks. */
  public long kvBytes() {
    int layers = keys != null ? keys.length : halfKeys.length;
    return 2L * layers * blocks * blockSize * kvDim * precision.bytes();
  }

  public int headSize() {
    return headSize;
  }

  /** A layer's keys (see the class comment for the layout); only for {@link KvPrecision#F32}. */
  public float[] keys(int layer) {
    return keys[layer];
  }

  /** A layer's values; only for {@link KvPrecision#F32} pools. */
  public float[] values(int layer) {
    return values[layer];
  }

  /** A layer's keys as half-precision bits; only for {@link KvPrecision#F16} pools. */
  public short[] halfKeys(int layer) {
    return halfKeys[layer];
  }

  /** A layer's values as half-precision bits; only for {@link KvPrecision#F16} pools. */
  public short[] halfValues(int layer) {
    return halfValues[layer];
  }

  /**
   * Stores one position's key {@code k[kOff..kOff+kvDim)} and value {@code v[vOff..)} of {@code
   * layer} at the position {@code at} (see {@link #offset}), rounded to the pool's precision.
   */
  public void write(int layer, int at, float[] k, int kOff, float[] v, int vOff) {
    int block = at / (blockSize * kvDim);
    int slot = at / kvDim % blockSize;
    int base = block * blockSize * kvDim;
    if (keys != null) {
      float[] ks = keys[layer];
      for (int c = 0; c < kvDim; c++) {
        ks[base + c * blockSize + slot] = k[kOff + c];
      }
      for (int h = 0; h < kvDim; h += headSize) {
        System.arraycopy(v, vOff + h, values[layer], valueRow(base, h, slot), headSize);
      }
    } else {
      short[] ks = halfKeys[layer];
      for (int c = 0; c < kvDim; c++) {
        ks[base + c * blockSize + slot] = Float.floatToFloat16(k[kOff + c]);
      }
      for (int h = 0; h < kvDim; h += headSize) {
        Fp16.round(v, vOff + h, halfValues[layer], valueRow(base, h, slot), headSize);
      }
    }
  }

  /** Reads one position's key and value of {@code layer} at position {@code at} as floats. */
  public void read(int layer, int at, float[] k, int kOff, float[] v, int vOff) {
    int block = at / (blockSize * kvDim);
    int slot = at / kvDim % blockSize;
    int base = block * blockSize * kvDim;
    if (keys != null) {
      float[] ks = keys[layer];
      for (int c = 0; c < kvDim; c++) {
        k[kOff + c] = ks[base + c * blockSize + slot];
      }
      for (int h = 0; h < kvDim; h += headSize) {
        System.arraycopy(values[layer], valueRow(base, h, slot), v, vOff + h, headSize);
      }
    } else {
      short[] ks = halfKeys[layer];
      for (int c = 0; c < kvDim; c++) {
        k[kOff + c] = Fp16.toFloat(ks[base + c * blockSize + slot]);
      }
      for (int h = 0; h < kvDim; h += headSize) {
        Fp16.widen(halfValues[layer], valueRow(base, h, slot), v, vOff + h, headSize);
      }
    }
  }

  /** Where the value row of the head starting at channel {@code h} lies for {@code slot}. */
  private int valueRow(int blockBase, int h, int slot) {
    return blockBase + h * blockSize + slot * headSize;
  }

  /**
   * Start of KV head {@code kvHead} in {@code block}, in a layer's key or value array: its keys are
   * {@code [d][slot]} and its values {@code [slot][d]} from there.
   */
  public int headBase(int block, int kvHead) {
    return (block * kvDim + kvHead * headSize) * blockSize;
  }

  /** A block for exclusive use (count 1), or -1 when none is available. */
  public int allocate() {
    Integer b = free.poll();
    if (b == null) {
      b = evictLeastRecentlyUsed();
      if (b < 0) {
        return -1;
      }
    }
    refCount[b] = 1;
    return b;
  }

  private int evictLeastRecentlyUsed() {
    Iterator<Map.Entry<Long, Integer>> it = cache.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Integer> entry = it.next();
      int b = entry.getValue();
      if (refCount[b] == 0) {
        it.remove();
        published[b] = false;
        evictableCount--;
        listener.evicted(entry.getKey());
        return b;
      }
    }
    return -1;
  }

  /** The cached block with this content hash, now referenced once more; -1 when not cached. */
  public int acquireCached(long hash) {
    Integer b = cache.get(hash);
    if (b == null) {
      return -1;
    }
    if (refCount[b]++ == 0) {
      evictableCount--;
    }
    reusedBlocks++;
    return b;
  }

  /**
   * Publishes a block that a sequence just filled. If another block already holds this content, the
   * block stays private (it is freed normally later).
   */
  public void publish(int block, long hash) {
    if (published[block] || cache.containsKey(hash)) {
      return;
    }
    published[block] = true;
    hashOf[block] = hash;
    cache.put(hash, block);
    listener.stored(hash);
  }

  /** Drops one reference; an unpublished block returns to the free list at zero. */
  public void release(int block) {
    if (refCount[block] <= 0) {
      throw new IllegalStateException("block " + block + " released more often than acquired");
    }
    if (--refCount[block] == 0) {
      if (published[block]) {
        evictableCount++;
      } else {
        free.add(block);
      }
    }
  }

  /** Forgets every cached block (engine restart semantics for tests and the router's CLEARED). */
  public void clearCache() {
    Iterator<Map.Entry<Long, Integer>> it = cache.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Integer> entry = it.next();
      int b = entry.getValue();
      published[b] = false;
      it.remove();
      listener.evicted(entry.getKey());
      if (refCount[b] == 0) {
        evictableCount--;
        free.add(b);
      }
    }
  }

  /**
   * The address of position {@code slot} of {@code block}, for {@link #write} and {@link #read}.
   */
  public int offset(int block, int slot) {
    return (block * blockSize + slot) * kvDim;
  }
}
