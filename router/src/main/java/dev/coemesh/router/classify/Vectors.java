package dev.coemesh.router.classify;

/** Dense float-vector helpers for embeddings (primitive loops; no allocation but the results). */
public final class Vectors {
  private Vectors() {}

  public static double dot(float[] a, float[] b) {
    double s0 = 0;
    double s1 = 0;
    int i = 0;
    for (; i + 1 < a.length; i += 2) { // two accumulators let the CPU overlap the adds
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
    }
    for (; i < a.length; i++) {
      s0 += a[i] * b[i];
    }
    return s0 + s1;
  }

  /** Scales {@code v} in place to unit length (a zero vector stays zero); returns it. */
  public static float[] normalize(float[] v) {
    double norm = Math.sqrt(dot(v, v));
    if (norm > 0) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (v[i] / norm);
      }
    }
    return v;
  }

  /** The normalised mean of the rows of {@code x} whose label is {@code label}. */
  public static float[] centroid(float[][] x, int[] labels, int label) {
    float[] c = new float[x[0].length];
    for (int i = 0; i < x.length; i++) {
      if (labels[i] == label) {
        for (int d = 0; d < c.length; d++) {
          c[d] += x[i][d];
        }
      }
    }
    return normalize(c);
  }

  /** Numerically stable softmax of {@code logits / temperature} into {@code out}. */
  public static void softmax(double[] logits, double temperature, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (int k = 0; k < logits.length; k++) {
      out[k] = Math.exp((logits[k] - max) / temperature);
      sum += out[k];
    }
    for (int k = 0; k < logits.length; k++) {
      out[k] /= sum;
    }
  }

  public static int argmax(double[] v) {
    int best = 0;
    for (int k = 1; k < v.length; k++) {
      if (v[k] > v[best]) {
        best = k;
      }
    }
    return best;
  }
}
