package dev.coemesh.pool.model;

import java.util.List;

/**
 * All weights of a Llama-family model; {@code output} is the embedding itself when tied.
 *
 * @param ropeFreqFactors Llama 3.1's per-frequency divisors of the rotary angle ({@code
 *     rope_freqs.weight}, [ropeDim/2]), or null when the model has none
 */
public record ModelWeights(
    Weight tokenEmbedding, // [vocab][dim]
    List<LayerWeights> layers,
    float[] finalNorm, // [dim]
    Weight output, // [vocab][dim]
    float[] ropeFreqFactors) { // [ropeDim/2] or null
  public ModelWeights {
    layers = List.copyOf(layers);
  }

  public ModelWeights(
      Weight tokenEmbedding, List<LayerWeights> layers, float[] finalNorm, Weight output) {
    this(tokenEmbedding, layers, finalNorm, output, null);
  }
}
