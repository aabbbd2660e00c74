package dev.coemesh.gateway.fair;

import java.util.Objects;

/**
 * The VTC cost model and lift rule.
 *
 * @param inputWeight {@code w_p}: counter charge per prompt token, before the tenant weight divides
 * @param outputWeight {@code w_q}: counter charge per generated token, before the weight divides
 */
public record VtcOptions(double inputWeight, double outputWeight, LiftRule liftRule) {
  public VtcOptions {
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

  /** The service {@code w_p·input + w_q·output} before dividing by a tenant weight. */
  public double cost(long inputTokens, long outputTokens) {
    return inputWeight * inputTokens + outputWeight * outputTokens;
  }
}
