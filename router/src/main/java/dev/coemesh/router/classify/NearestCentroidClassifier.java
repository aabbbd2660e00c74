package dev.coemesh.router.classify;

/** Cosine similarity to each category's normalised mean example embedding. */
public final class NearestCentroidClassifier implements Classifier {
  private final float[][] centroids; // [categories][dim]

  private NearestCentroidClassifier(float[][] centroids) {
    this.centroids = centroids;
  }

  public static NearestCentroidClassifier train(TrainingSet data) {
    float[][] c = new float[data.categories().size()][];
    for (int k = 0; k < c.length; k++) {
      c[k] = Vectors.centroid(data.x(), data.y(), k);
    }
    return new NearestCentroidClassifier(c);
  }

  @Override
  public String name() {
    return "nearest-centroid";
  }

  @Override
  public void scores(float[] embedding, double[] out) {
    for (int k = 0; k < centroids.length; k++) {
      out[k] = Vectors.dot(embedding, centroids[k]);
    }
  }
}
