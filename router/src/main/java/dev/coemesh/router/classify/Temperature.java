package dev.coemesh.router.classify;

/**
 * Temperature scaling: the {@code T} that minimises the mean negative log-likelihood of {@code
 * softmax(scores / T)} on held-out predictions, so a confidence of 0.7 means about 70% of such
 * decisions are right and the config's confidence threshold means the same for every classifier
 * family. Searched on a log grid (the loss is smooth and one-dimensional).
 */
public final class Temperature {
  static final double MIN = 1e-2;
  static final double MAX = 10;
  static final int STEPS = 121;

  private Temperature() {}

  /**
   * @param scores held-out logits // [examples][categories]
   */
  public static double fit(double[][] scores, int[] labels) {
    double best = 1;
    double bestLoss = Double.POSITIVE_INFINITY;
    double[] p = new double[scores[0].length];
    for (int s = 0; s < STEPS; s++) {
      double t = MIN * Math.pow(MAX / MIN, (double) s / (STEPS - 1));
      double loss = 0;
      for (int i = 0; i < labels.length; i++) {
        Vectors.softmax(scores[i], t, p);
        loss -= Math.log(Math.max(p[labels[i]], 1e-12));
      }
      if (loss < bestLoss) {
        bestLoss = loss;
        best = t;
      }
    }
    return best;
  }
}
