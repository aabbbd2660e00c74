package dev.coemesh.pool.model;

/**
 * The shape of a Llama-family transformer.
 *
 * @param dim model (embedding) width
 * @param hiddenDim SwiGLU inner width
 * @param layers transformer blocks
 * @param heads query heads
 * @param kvHeads key/value heads (grouped-query attention when fewer than {@code heads})
 * @param vocabSize tokens in the vocabulary
 * @param contextLength maximum positions per sequence
 * @param ropeTheta RoPE frequency base
 * @param ropeDim rotated dimensions per head (the head size for Llama); the rest pass unrotated
 * @param rmsEps RMSNorm epsilon
 * @param ropeStyle which values of a head rotate together (fixed by the architecture)
 */
public record ModelConfig(
    int dim,
    int hiddenDim,
    int layers,
    int heads,
    int kvHeads,
    int vocabSize,
    int contextLength,
    float ropeTheta,
    int ropeDim,
    float rmsEps,
    RopeStyle ropeStyle) {

  /** A Llama shape: adjacent pairs rotate together. */
  public ModelConfig(
      int dim,
      int hiddenDim,
      int layers,
      int heads,
      int kvHeads,
      int vocabSize,
      int contextLength,
      float ropeTheta,
      int ropeDim,
      float rmsEps) {
    this(
        dim,
        hiddenDim,
        layers,
        heads,
        kvHeads,
        vocabSize,
        contextLength,
        ropeTheta,
        ropeDim,
        rmsEps,
        RopeStyle.ADJACENT_PAIRS);
  }

  public ModelConfig {
    java.util.Objects.requireNonNull(ropeStyle, "ropeStyle");
    if (dim < 1 || hiddenDim < 1 || layers < 1 || heads < 1 || kvHeads < 1 || vocabSize < 1) {
      throw new IllegalArgumentException(
          "model dimensions must be positive: "
              + describe(dim, hiddenDim, layers, heads, kvHeads, vocabSize));
    }
    if (dim % heads != 0) {
      throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
    }
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException(
          "heads " + heads + " is not a multiple of kv heads " + kvHeads);
    }
    if (contextLength < 1 || !(ropeTheta > 0) || !(rmsEps > 0)) {
      throw new IllegalArgumentException("context length, rope theta and rms eps must be positive");
    }
    if (ropeDim < 0 || ropeDim > dim / heads || ropeDim % 2 != 0) {
      throw new IllegalArgumentException(
          "rope dimension " + ropeDim + " must be even and <= head size " + dim / heads);
    }
  }

  private static String describe(int... values) {
    return java.util.Arrays.toString(values);
  }

  public int headSize() {
    return dim / heads;
  }

  /** Width of one position's keys (or values): kvHeads × headSize. */
  public int kvDim() {
    return kvHeads * headSize();
  }

  /** Query heads sharing one KV head. */
  public int groupSize() {
    return heads / kvHeads;
  }
}
