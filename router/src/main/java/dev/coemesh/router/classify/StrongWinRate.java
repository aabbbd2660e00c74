package dev.coemesh.router.classify;

/**
 * RouteLLM-style cost/quality routing inside one category: an estimate of how likely the strong
 * expert is needed, and a threshold calibrated so that a target fraction of calibration prompts
 * reaches it (ALGORITHMS.md §4b: {@code threshold = quantile(win rates, 1 - p)}). As RouteLLM
 * warns, the realised fraction follows the live traffic; recalibrate on logged prompts when it
 * drifts.
 *
 * <p>The estimate contrasts the prompt with the category's configured strong examples (prompts that
 * need the strong expert) and its ordinary examples: {@code σ((cos(x, strong) − cos(x, ordinary)) /
 * 0.05)}, a similarity-weighted stand-in for RouteLLM's learned win rate that needs no preference
 * data. Immutable and thread-safe.
 */
public final class StrongWinRate {
  static final double SHARPNESS = 0.05;

  private final float[] strong; // [dim]
  private final float[] ordinary; // [dim]
  private final double threshold;
  private final double strongFraction;

  private StrongWinRate(float[] strong, float[] ordinary, double threshold, double fraction) {
    this.strong = strong;
    this.ordinary = ordinary;
    this.threshold = threshold;
    this.strongFraction = fraction;
  }

  /**
   * @param ordinaryExamples embeddings of the category's examples // [n][dim]
   * @param strongExamples embeddings of prompts that need the strong expert // [m][dim]
   * @param strongFraction target share of the calibration prompts for the strong expert; they are
   *     the category's ordinary examples, which stand for its traffic (the strong examples are
   *     chosen to be hard, so counting them would skew the quantile)
   */
  public static StrongWinRate calibrate(
      float[][] ordinaryExamples, float[][] strongExamples, double strongFraction) {
    float[] strong = Vectors.centroid(strongExamples, new int[strongExamples.length], 0);
    float[] ordinary = Vectors.centroid(ordinaryExamples, new int[ordinaryExamples.length], 0);
    StrongWinRate uncalibrated = new StrongWinRate(strong, ordinary, 0, strongFraction);
    double[] rates = new double[ordinaryExamples.length];
    for (int i = 0; i < rates.length; i++) {
      rates[i] = uncalibrated.winRate(ordinaryExamples[i]);
    }
    return new StrongWinRate(strong, ordinary, threshold(rates, strongFraction), strongFraction);
  }

  /**
   * The smallest threshold that sends {@code round(fraction × n)} of {@code rates} to the strong
   * expert (rate >= threshold); above every rate when that count is 0.
   */
  public static double threshold(double[] rates, double fraction) {
    if (!(fraction >= 0 && fraction <= 1) || rates.length == 0) {
      throw new IllegalArgumentException("fraction in [0, 1] and at least one rate required");
    }
    double[] sorted = rates.clone();
    java.util.Arrays.sort(sorted);
    int strongCount = (int) Math.round(fraction * sorted.length);
    if (strongCount == 0) {
      return Math.nextUp(sorted[sorted.length - 1]);
    }
    return sorted[sorted.length - strongCount];
  }

  /** Estimated probability in (0, 1) that the strong expert is needed for this prompt. */
  public double winRate(float[] embedding) {
    double margin = Vectors.dot(embedding, strong) - Vectors.dot(embedding, ordinary);
    return 1 / (1 + Math.exp(-margin / SHARPNESS));
  }

  public boolean prefersStrong(double winRate) {
    return winRate >= threshold;
  }

  public double threshold() {
    return threshold;
  }

  public double strongFraction() {
    return strongFraction;
  }
}
