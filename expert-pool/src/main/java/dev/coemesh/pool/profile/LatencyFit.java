package dev.coemesh.pool.profile;

import java.util.List;

/**
 * Least-squares fit of {@code ms = a + b*x1 + c*x2}, DistServe's latency form (ALGORITHMS.md 2.2):
 * for prefill {@code x1 = sum(len), x2 = sum(len^2)}; for decode {@code x1 = sum(ctx), x2 = batch}.
 * Three unknowns, so the 3x3 normal equations are solved directly (Gaussian elimination with
 * partial pivoting); the features are scaled first because sum(len^2) is ~1e5 times sum(len).
 *
 * @param a constant term, ms
 * @param b ms per unit of the first feature
 * @param c ms per unit of the second feature
 * @param r2 coefficient of determination of the fit on its own points (1 = exact)
 */
public record LatencyFit(double a, double b, double c, double r2) {

  /** One observation: the two features and the measured milliseconds. */
  public record Observation(double x1, double x2, double ms) {}

  public double predict(double x1, double x2) {
    return a + b * x1 + c * x2;
  }

  /** Fits the form to at least three observations whose features are not collinear. */
  public static LatencyFit fit(List<Observation> points) {
    if (points.size() < 3) {
      throw new IllegalArgumentException(
          "a 3-coefficient fit needs >= 3 points, got " + points.size());
    }
    double s1 = 0;
    double s2 = 0;
    for (Observation p : points) {
      s1 = Math.max(s1, Math.abs(p.x1()));
      s2 = Math.max(s2, Math.abs(p.x2()));
    }
    s1 = s1 == 0 ? 1 : s1;
    s2 = s2 == 0 ? 1 : s2;
    double[][] m = new double[3][4];
    for (Observation p : points) {
      double[] f = {1, p.x1() / s1, p.x2() / s2};
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          m[i][j] += f[i] * f[j];
        }
        m[i][3] += f[i] * p.ms();
      }
    }
    double[] beta = solve(m);
    LatencyFit unscored = new LatencyFit(beta[0], beta[1] / s1, beta[2] / s2, Double.NaN);
    return new LatencyFit(unscored.a, unscored.b, unscored.c, rSquared(unscored, points));
  }

  private static double rSquared(LatencyFit fit, List<Observation> points) {
    double mean = points.stream().mapToDouble(Observation::ms).average().orElse(0);
    double residual = 0;
    double total = 0;
    for (Observation p : points) {
      double e = p.ms() - fit.predict(p.x1(), p.x2());
      residual += e * e;
      total += (p.ms() - mean) * (p.ms() - mean);
    }
    // all points equal: the constant explains them exactly when the residual is zero
    return total == 0 ? (residual == 0 ? 1 : 0) : 1 - residual / total;
  }

  /** Solves the augmented 3x4 system in place. */
  private static double[] solve(double[][] m) {
    int n = 3;
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int r = col + 1; r < n; r++) {
        if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
          pivot = r;
        }
      }
      if (Math.abs(m[pivot][col]) < 1e-12) {
        throw new IllegalArgumentException(
            "the points do not determine the fit (features are collinear); vary both features");
      }
      double[] t = m[col];
      m[col] = m[pivot];
      m[pivot] = t;
      for (int r = 0; r < n; r++) {
        if (r != col) {
          double k = m[r][col] / m[col][col];
          for (int j = col; j <= n; j++) {
            m[r][j] -= k * m[col][j];
          }
        }
      }
    }
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = m[i][n] / m[i][i];
    }
    return x;
  }
}
