package dev.coemesh.pool.model;

import java.util.List;

/** All weights of a Llama-family model; {@code output} is the embedding itself when tied. */
public record ModelWeights(
    Weight tokenEmbedding, // [vocab][dim]
    List<LayerWeights> layers,
    float[] finalNorm, // [dim]
    Weight output) { // [vocab][dim]
  public ModelWeights {
    layers = List.copyOf(layers);
  }
}
