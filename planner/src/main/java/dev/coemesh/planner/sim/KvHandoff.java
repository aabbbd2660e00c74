package dev.coemesh.planner.sim;

/**
 * The prefill-to-decode KV transfer: {@code fixedMs + tokens * bytesPerToken / bytesPerMs} ms.
 *
 * @param fixedMs the per-handoff cost that does not grow with the prompt (store round trips, the
 *     codec's setup, the decode side's admission), measured; 0 for DistServe's free transfer
 * @param bytesPerToken KV bytes per prompt token after the codec (all layers, K and V)
 * @param bytesPerMs the store's measured throughput; {@code +Infinity} models a free transfer (as
 *     DistServe's simulator does)
 */
public record KvHandoff(double fixedMs, double bytesPerToken, double bytesPerMs) {
  public KvHandoff {
    if (!(fixedMs >= 0) || Double.isInfinite(fixedMs)) {
      throw new IllegalArgumentException("fixedMs must be finite and >= 0: " + fixedMs);
    }
    if (!(bytesPerToken >= 0) || Double.isInfinite(bytesPerToken)) {
      throw new IllegalArgumentException("bytesPerToken must be finite and >= 0: " + bytesPerToken);
    }
    if (!(bytesPerMs > 0)) {
      throw new IllegalArgumentException("bytesPerMs must be > 0: " + bytesPerMs);
    }
  }

  /** A transfer with no fixed cost. */
  public KvHandoff(double bytesPerToken, double bytesPerMs) {
    this(0, bytesPerToken, bytesPerMs);
  }

  public static KvHandoff free() {
    return new KvHandoff(0, 0, Double.POSITIVE_INFINITY);
  }

  /**
   * A handoff measured end to end in time rather than in bytes: {@code fixedMs + msPerToken *
   * tokens} (the codec's encode and decode and the store's round trip, fitted from a real run). The
   * byte throughput is set to 1 byte/ms so that {@code bytesPerToken} carries the ms per token.
   */
  public static KvHandoff timed(double fixedMs, double msPerToken) {
    return new KvHandoff(fixedMs, msPerToken, 1);
  }

  public double transferMs(int tokens) {
    return fixedMs + tokens * bytesPerToken / bytesPerMs;
  }
}
