package dev.coemesh.kv.codec;

/**
 * CacheGen's compression levels. {@link #LOSSLESS} keeps the float32 bits; the quantized levels use
 * layer-wise bins (more for shallow layers, whose errors propagate further), scaled from the
 * 32-layer schedules of the reference to the model's layer count.
 */
public enum CodecLevel {
  LOSSLESS(0),
  /** K: 16 bins in the first 60% of layers, 12 after; V: 16 in the first 1/16, 12 after. */
  LEVEL_1(1),
  /** The default. K: 32 bins in the first 10/32 of layers, 16 after; V: 32 in the first 2/32. */
  LEVEL_2(2),
  /** 32 bins everywhere. */
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
      case LEVEL_1 ->
          kOrV == 0
              ? (layer < fraction(layers, 20, 32) ? 16 : 12)
              : (layer < fraction(layers, 2, 32) ? 16 : 12);
      case LEVEL_2 ->
          kOrV == 0
              ? (layer < fraction(layers, 10, 32) ? 32 : 16)
              : (layer < fraction(layers, 2, 32) ? 32 : 16);
      case LEVEL_3 -> 32;
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

  /**
   * At least one layer for any non-zero share, so small models keep a high-precision first layer.
   */
  private static int fraction(int layers, int numerator, int denominator) {
    return Math.max(1, (layers * numerator + denominator - 1) / denominator);
  }
}
