package dev.coemesh.router.classify;

import java.util.List;

/**
 * Labelled embeddings: {@code x[i]} is a unit-length example embedding of category {@code
 * categories[y[i]]}.
 */
public record TrainingSet(List<String> categories, float[][] x, int[] y) {
  public TrainingSet {
    categories = List.copyOf(categories);
    if (x.length != y.length || x.length == 0) {
      throw new IllegalArgumentException("need as many labels as embeddings, and at least one");
    }
    int[] counts = new int[categories.size()];
    for (int label : y) {
      if (label < 0 || label >= categories.size()) {
        throw new IllegalArgumentException("label " + label + " out of range");
      }
      counts[label]++;
    }
    for (int k = 0; k < counts.length; k++) {
      if (counts[k] == 0) {
        throw new IllegalArgumentException("category " + categories.get(k) + " has no example");
      }
    }
  }

  public int size() {
    return y.length;
  }

  public int dimension() {
    return x[0].length;
  }

  /** The rows whose indices are {@code rows}, in that order. */
  public TrainingSet subset(int[] rows) {
    float[][] sx = new float[rows.length][];
    int[] sy = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      sx[i] = x[rows[i]];
      sy[i] = y[rows[i]];
    }
    return new TrainingSet(categories, sx, sy);
  }
}
