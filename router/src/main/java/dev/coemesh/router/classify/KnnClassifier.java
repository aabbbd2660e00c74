package dev.coemesh.router.classify;

/**
 * The {@code k} most similar examples vote for their categories, each with its cosine similarity; a
 * category's logit is its summed similarity over {@code k} (0 when no neighbour is of it).
 */
public final class KnnClassifier implements Classifier {
  private final float[][] x; // [examples][dim]
  private final int[] y; // [examples]
  private final int k;

  private KnnClassifier(float[][] x, int[] y, int k) {
    this.x = x;
    this.y = y;
    this.k = k;
  }

  public static KnnClassifier train(TrainingSet data, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1");
    }
    return new KnnClassifier(data.x(), data.y(), Math.min(k, data.size()));
  }

  @Override
  public String name() {
    return "knn";
  }

  @Override
  public void scores(float[] embedding, double[] out) {
    double[] bestSim = new double[k]; // [k], descending
    int[] bestLabel = new int[k];
    java.util.Arrays.fill(bestSim, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < x.length; i++) {
      double s = Vectors.dot(embedding, x[i]);
      if (s <= bestSim[k - 1]) {
        continue;
      }
      int j = k - 1; // insertion into the sorted top-k
      while (j > 0 && bestSim[j - 1] < s) {
        bestSim[j] = bestSim[j - 1];
        bestLabel[j] = bestLabel[j - 1];
        j--;
      }
      bestSim[j] = s;
      bestLabel[j] = y[i];
    }
    java.util.Arrays.fill(out, 0);
    for (int j = 0; j < k; j++) {
      out[bestLabel[j]] += bestSim[j] / k;
    }
  }
}
