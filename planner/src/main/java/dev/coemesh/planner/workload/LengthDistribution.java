package dev.coemesh.planner.workload;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A distribution of token counts. Each sample draws exactly one random number (none for {@link
 * Fixed}), so a workload's lengths do not depend on its arrival rate for a given seed.
 */
public sealed interface LengthDistribution {

  int sample(RandomGenerator random);

  double mean();

  /** Always the same length. */
  record Fixed(int tokens) implements LengthDistribution {
    public Fixed {
      requirePositive(tokens);
    }

    @Override
    public int sample(RandomGenerator random) {
      return tokens;
    }

    @Override
    public double mean() {
      return tokens;
    }
  }

  /** Uniform over {@code [min, max]}, both inclusive. */
  record Uniform(int min, int max) implements LengthDistribution {
    public Uniform {
      requirePositive(min);
      if (max < min) {
        throw new IllegalArgumentException("max < min: " + max + " < " + min);
      }
    }

    @Override
    public int sample(RandomGenerator random) {
      return min + (int) Math.floor(random.nextDouble() * (max - min + 1));
    }

    @Override
    public double mean() {
      return (min + max) / 2.0;
    }
  }

  /** One of the listed lengths, each equally likely (e.g. a dataset's prompt lengths). */
  record Empirical(List<Integer> lengths) implements LengthDistribution {
    public Empirical {
      lengths = List.copyOf(lengths);
      if (lengths.isEmpty()) {
        throw new IllegalArgumentException("no lengths");
      }
      lengths.forEach(LengthDistribution::requirePositive);
    }

    @Override
    public int sample(RandomGenerator random) {
      return lengths.get((int) Math.floor(random.nextDouble() * lengths.size()));
    }

    @Override
    public double mean() {
      return lengths.stream().mapToInt(Integer::intValue).average().orElseThrow();
    }
  }

  /**
   * Geometric on {1, 2, ...} with the given mean: the discrete exponential. With a linear latency
   * model it gives exponential service times (the M/M/1 check); its squared coefficient of
   * variation is {@code 1 - 1/mean}.
   */
  record Geometric(double meanTokens) implements LengthDistribution {
    public Geometric {
      if (!(meanTokens >= 1) || Double.isInfinite(meanTokens)) {
        throw new IllegalArgumentException("meanTokens must be finite and >= 1: " + meanTokens);
      }
    }

    @Override
    public int sample(RandomGenerator random) {
      double p = 1 / meanTokens;
      if (p == 1) {
        random.nextDouble();
        return 1;
      }
      double u = 1 - random.nextDouble(); // (0, 1]
      return 1 + (int) Math.floor(Math.log(u) / Math.log1p(-p));
    }

    @Override
    public double mean() {
      return meanTokens;
    }
  }

  /**
   * A log-normal length with the given median and shape {@code sigma}, clamped to {@code [min,
   * max]}: the heavy right tail of chat prompts and answers. One uniform draw is turned into a
   * normal by the inverse CDF, so the one-number-per-sample rule holds.
   */
  record LogNormal(double median, double sigma, int min, int max) implements LengthDistribution {
    private static final int MEAN_GRID = 20_000;

    public LogNormal {
      if (!(median >= 1) || Double.isInfinite(median) || !(sigma > 0) || sigma > 5) {
        throw new IllegalArgumentException("need median >= 1 and 0 < sigma <= 5");
      }
      requirePositive(min);
      if (max < min) {
        throw new IllegalArgumentException("max < min: " + max + " < " + min);
      }
    }

    @Override
    public int sample(RandomGenerator random) {
      return at(random.nextDouble());
    }

    /** The mean of the clamped, rounded distribution, by the midpoint rule over the quantiles. */
    @Override
    public double mean() {
      double sum = 0;
      for (int i = 0; i < MEAN_GRID; i++) {
        sum += at((i + 0.5) / MEAN_GRID);
      }
      return sum / MEAN_GRID;
    }

    private int at(double uniform) {
      double u = Math.min(Math.max(uniform, 1e-12), 1 - 1e-12);
      double tokens = median * Math.exp(sigma * InverseNormal.quantile(u));
      return (int) Math.min(max, Math.max(min, Math.round(tokens)));
    }
  }

  private static void requirePositive(int tokens) {
    if (tokens < 1) {
      throw new IllegalArgumentException("lengths must be >= 1 token: " + tokens);
    }
  }
}
