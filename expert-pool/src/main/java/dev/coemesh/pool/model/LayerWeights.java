package dev.coemesh.pool.model;

/** One transformer block's weights; norms are small and kept as float arrays. */
public record LayerWeights(
    float[] attentionNorm, // [dim]
    Weight wq, // [heads*headSize][dim]
    Weight wk, // [kvDim][dim]
    Weight wv, // [kvDim][dim]
    Weight wo, // [dim][heads*headSize]
    float[] ffnNorm, // [dim]
    Weight w1, // gate [hidden][dim]
    Weight w2, // down [dim][hidden]
    Weight w3) {} // up [hidden][dim]
