package dev.coemesh.gateway.fair;

import java.util.Objects;

/**
 * The VTC cost model, lift rule and the slots held back for interactive requests.
 *
 * @param inputWeight {@code w_p}: counter charge per prompt token, before the tenant weight divides
 * @param outputWeight {@code w_q}: counter charge per generated token, before the weight divides
 * @param interactiveReserve slots of each expert that batch requests may not take, so that an
 *     interactive request finds one free instead of waiting for a batch request to finish; {@link
 *     #AUTO_RESERVE} for a quarter of the expert's slots (at least 1); see {@link #batchLimit}
 */
public record VtcOptions(
    double inputWeight, double outputWeight, LiftRule liftRule, int interactiveReserve) {

  /** {@code interactiveReserve}: a quarter of the expert's slots, at least 1. */
  public static final int AUTO_RESERVE = -1;

  /** With the default reserve. */
  public VtcOptions(double inputWeight, double outputWeight, LiftRule liftRule) {
    this(inputWeight, outputWeight, liftRule, AUTO_RESERVE);
  }

  public VtcOptions {
    if (interactiveReserve < AUTO_RESERVE) {
      throw new IllegalArgumentException(
          "interactive reserve must be >= 0 (or AUTO_RESERVE), was " + interactiveReserve);
    }
    if (!(inputWeight >= 0)
        || !(outputWeight >= 0)
        || Double.isInfinite(inputWeight + outputWeight)) {
      throw new IllegalArgumentException(
          "VTC weights must be finite and >= 0, were " + inputWeight + " and " + outputWeight);
    }
    if (inputWeight + outputWeight == 0) {
      throw new IllegalArgumentException("at least one VTC weight must be > 0");
    }
    Objects.requireNonNull(liftRule, "liftRule");
  }

  /** {@code w_p = 1, w_q = 2} (OpenAI's price ratio, as in the paper), with the paper's lift. */
  public static VtcOptions defaults() {
    return new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN_OR_LAST_DEPARTED);
  }

  /**
   * How many of an expert's {@code limit} slots batch requests may hold: {@code limit - reserve},
   * but never below 1, so that batch work still runs on an expert with a single slot or with a
   * reserve as large as the expert (there the reserve is smaller than asked).
   */
  public int batchLimit(int limit) {
    if (limit <= 1) {
      return limit;
    }
    int reserve = interactiveReserve == AUTO_RESERVE ? Math.max(1, limit / 4) : interactiveReserve;
    return Math.max(1, limit - reserve);
  }

  /** The service {@code w_p·input + w_q·output} before dividing by a tenant weight. */
  public double cost(long inputTokens, long outputTokens) {
    return inputWeight * inputTokens + outputWeight * outputTokens;
  }
}
