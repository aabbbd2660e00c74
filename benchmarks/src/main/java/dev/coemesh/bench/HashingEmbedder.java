package dev.coemesh.bench;

import dev.coemesh.router.classify.Embedder;
import java.util.Locale;

/**
 * A bag of words hashed into {@value #DIMENSION} buckets, L2-normalised: enough for the router to
 * build its category model at startup without the MiniLM native library, whose load would dominate
 * a benchmark that never classifies (its requests pin their expert).
 */
final class HashingEmbedder implements Embedder {
  private static final int DIMENSION = 64;

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public float[] embed(String text) {
    float[] v = new float[DIMENSION];
    for (String word : text.toLowerCase(Locale.ROOT).split("\\W+")) {
      if (!word.isEmpty()) {
        v[Math.floorMod(word.hashCode(), DIMENSION)] += 1;
      }
    }
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    if (norm > 0) {
      float inv = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < DIMENSION; i++) {
        v[i] *= inv;
      }
    }
    return v;
  }
}
