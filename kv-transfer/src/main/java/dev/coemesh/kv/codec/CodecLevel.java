package dev.coemesh.kv.codec;

/**
 * CacheGen's compression levels. {@link #LOSSLESS} keeps the float32 bits; the quantized levels set
 * the bins of each (layer, K|V) slot.
 *
 * <p>The reference schedules give K and V the same bins and more of them to shallow layers.
 * Measured on stories260K (greedy agreement and KL of the next-token distribution with one slot
 * coarsened at a time, kv-transfer/README.md), V tolerates 6 bins in every layer at no measurable
 * cost while K needs many more, and the deep layers' K mattered as much as the shallow ones'. So
 * the levels here split bins by K|V and keep them flat over depth; the envelope still carries bins
 * per slot.
 */
public enum CodecLevel {
  LOSSLESS(0),
  /** K: 16 bins, V: 6. */
  LEVEL_1(1),
  /** The default. K: 24 bins, V: 6. */
  LEVEL_2(2),
  /** K: 32 bins, V: 12. */
  LEVEL_3(3);

  private final int id;

  CodecLevel(int id) {
    this.id = id;
  }

  public int id() {
    return id;
  }

  public static CodecLevel of(int id) {
    for (CodecLevel level : values()) {
      if (level.id == id) {
        return level;
      }
    }
    throw new IllegalArgumentException("codec level must be 0 (lossless) to 3, was " + id);
  }

  /** Bins for K (kOrV 0) or V (1) of {@code layer} among {@code layers}. */
  public int bins(int kOrV, int layer, int layers) {
    return switch (this) {
      case LOSSLESS -> throw new IllegalStateException("the lossless level does not quantize");
      case LEVEL_1 -> kOrV == 0 ? 16 : 6;
      case LEVEL_2 -> kOrV == 0 ? 24 : 6;
      case LEVEL_3 -> kOrV == 0 ? 32 : 12;
    };
  }

  /** The largest bin count of this level (the coder's alphabet size). */
  public int maxBins(int layers) {
    int max = 0;
    for (int l = 0; l < layers; l++) {
      max = Math.max(max, Math.max(bins(0, l, layers), bins(1, l, layers)));
    }
    return max;
  }
}
