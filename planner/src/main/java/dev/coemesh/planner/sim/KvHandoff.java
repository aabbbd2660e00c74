package dev.coemesh.planner.sim;

/**
 * The prefill-to-decode KV transfer: {@code tokens * bytesPerToken / bytesPerMs} ms.
 *
 * @param bytesPerToken KV bytes per prompt token after the codec (all layers, K and V)
 * @param bytesPerMs the store's measured throughput; {@code +Infinity} models a free transfer (as
 *     DistServe's simulator does)
 */
public record KvHandoff(double bytesPerToken, double bytesPerMs) {
  public KvHandoff {
    if (!(bytesPerToken >= 0) || Double.isInfinite(bytesPerToken)) {
      throw new IllegalArgumentException("bytesPerToken must be finite and >= 0: " + bytesPerToken);
    }
    if (!(bytesPerMs > 0)) {
      throw new IllegalArgumentException("bytesPerMs must be > 0: " + bytesPerMs);
    }
  }

  public static KvHandoff free() {
    return new KvHandoff(0, Double.POSITIVE_INFINITY);
  }

  public double transferMs(int tokens) {
    return tokens * bytesPerToken / bytesPerMs;
  }
}
