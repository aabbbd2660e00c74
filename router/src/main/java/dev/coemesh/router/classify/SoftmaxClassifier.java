package dev.coemesh.router.classify;

/**
 * Multinomial logistic regression {@code p(k|x) = softmax(W·x + b)}, the category router of
 * ALGORITHMS.md §4a, trained by full-batch Adam on mean cross-entropy with an L2 penalty. Training
 * is deterministic (zero initialisation, no sampling); the loss is class-balanced.
 */
public final class SoftmaxClassifier implements Classifier {
  static final int EPOCHS = 120;
  static final double LEARNING_RATE = 0.1;
  static final double L2 = 1e-3;

  private final float[][] w; // [categories][dim]
  private final double[] b; // [categories]

  private SoftmaxClassifier(float[][] w, double[] b) {
    this.w = w;
    this.b = b;
  }

  public static SoftmaxClassifier train(TrainingSet data) {
    int n = data.size();
    int classes = data.categories().size();
    int dim = data.dimension();
    double[][] weights = new double[classes][dim];
    double[] bias = new double[classes];
    double[][] gw = new double[classes][dim];
    double[] gb = new double[classes];
    Adam adam = new Adam(classes * (dim + 1));
    double[] logits = new double[classes];
    double[] p = new double[classes];
    // Class-balanced weights: each category contributes equally to the loss, so a category with
    // more examples (e.g. one with strong examples too) does not pull uncertain prompts to itself.
    int[] counts = new int[classes];
    for (int label : data.y()) {
      counts[label]++;
    }
    double[] weight = new double[classes];
    for (int k = 0; k < classes; k++) {
      weight[k] = (double) n / (classes * counts[k]);
    }
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      for (double[] row : gw) {
        java.util.Arrays.fill(row, 0);
      }
      java.util.Arrays.fill(gb, 0);
      for (int i = 0; i < n; i++) {
        float[] xi = data.x()[i];
        for (int k = 0; k < classes; k++) {
          double s = bias[k];
          double[] wk = weights[k];
          for (int d = 0; d < dim; d++) {
            s += wk[d] * xi[d];
          }
          logits[k] = s;
        }
        Vectors.softmax(logits, 1, p);
        for (int k = 0; k < classes; k++) {
          // d(weighted mean CE)/d(logit)
          double err = weight[data.y()[i]] * (p[k] - (data.y()[i] == k ? 1 : 0)) / n;
          gb[k] += err;
          double[] gk = gw[k];
          for (int d = 0; d < dim; d++) {
            gk[d] += err * xi[d];
          }
        }
      }
      adam.nextEpoch();
      int at = 0;
      for (int k = 0; k < classes; k++) {
        for (int d = 0; d < dim; d++) {
          weights[k][d] -= adam.step(at++, gw[k][d] + L2 * weights[k][d]);
        }
        bias[k] -= adam.step(at++, gb[k]);
      }
    }
    float[][] w = new float[classes][dim];
    for (int k = 0; k < classes; k++) {
      for (int d = 0; d < dim; d++) {
        w[k][d] = (float) weights[k][d];
      }
    }
    return new SoftmaxClassifier(w, bias);
  }

  /** Adam's per-parameter moments (β1 0.9, β2 0.999). */
  private static final class Adam {
    private final double[] m;
    private final double[] v;
    private double beta1Power = 1;
    private double beta2Power = 1;

    Adam(int parameters) {
      m = new double[parameters];
      v = new double[parameters];
    }

    void nextEpoch() {
      beta1Power *= 0.9;
      beta2Power *= 0.999;
    }

    double step(int i, double grad) {
      m[i] = 0.9 * m[i] + 0.1 * grad;
      v[i] = 0.999 * v[i] + 0.001 * grad * grad;
      double mHat = m[i] / (1 - beta1Power);
      double vHat = v[i] / (1 - beta2Power);
      return LEARNING_RATE * mHat / (Math.sqrt(vHat) + 1e-8);
    }
  }

  @Override
  public String name() {
    return "softmax";
  }

  @Override
  public void scores(float[] embedding, double[] out) {
    for (int k = 0; k < w.length; k++) {
      out[k] = b[k] + Vectors.dot(embedding, w[k]);
    }
  }
}
