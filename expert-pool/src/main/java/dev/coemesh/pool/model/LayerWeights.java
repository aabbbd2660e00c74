package dev.coemesh.pool.model;

/**
 * One transformer block's weights; norms and biases are small and kept as float arrays. Fused
 * matrices in a file (Phi-3's QKV and gate+up) arrive here already split into row views.
 *
 * @param qBias Qwen2's query bias, null for architectures without one (likewise kBias, vBias)
 */
public record LayerWeights(
    float[] attentionNorm, // [dim]
    Weight wq, // [heads*headSize][dim]
    Weight wk, // [kvDim][dim]
    Weight wv, // [kvDim][dim]
    Weight wo, // [dim][heads*headSize]
    float[] ffnNorm, // [dim]
    Weight w1, // gate [hidden][dim]
    Weight w2, // down [dim][hidden]
    Weight w3, // up [hidden][dim]
    float[] qBias, // [dim] or null
    float[] kBias, // [kvDim] or null
    float[] vBias) { // [kvDim] or null

  /** A block without attention biases (Llama, Mistral, Phi-3). */
  public LayerWeights(
      float[] attentionNorm,
      Weight wq,
      Weight wk,
      Weight wv,
      Weight wo,
      float[] ffnNorm,
      Weight w1,
      Weight w2,
      Weight w3) {
    this(attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, null, null, null);
  }
}
