package dev.coemesh.planner.sim;

import java.util.Objects;

/**
 * The prefill-to-decode KV handoff, in three stages:
 *
 * <ol>
 *   <li>{@code encode}: the codec on the prefill replica, inside its step, so it delays the first
 *       token and the next prefill batch alike (the replica has one engine to do both);
 *   <li>the transfer, {@code fixedMs + tokens * bytesPerToken / bytesPerMs}, which occupies neither
 *       replica;
 *   <li>{@code decode}: the codec on the decode replica, which adds its time to that replica's next
 *       step before the sequence decodes there.
 * </ol>
 *
 * @param fixedMs the transfer's per-handoff cost that does not grow with the prompt (store round
 *     trips), measured; 0 for DistServe's free transfer
 * @param bytesPerToken KV bytes per prompt token after the codec (all layers, K and V)
 * @param bytesPerMs the store's measured throughput; {@code +Infinity} models a free transfer (as
 *     DistServe's simulator does)
 * @param encode the codec's cost on the prefill replica
 * @param decode the codec's cost on the decode replica
 */
public record KvHandoff(
    double fixedMs, double bytesPerToken, double bytesPerMs, Stage encode, Stage decode) {

  /** A stage that costs {@code fixedMs + msPerToken * tokens}. */
  public record Stage(double fixedMs, double msPerToken) {
    public static final Stage NONE = new Stage(0, 0);

    public Stage {
      if (!(fixedMs >= 0) || !(msPerToken >= 0) || Double.isInfinite(fixedMs + msPerToken)) {
        throw new IllegalArgumentException("stage costs must be finite and >= 0");
      }
    }

    public double ms(int tokens) {
      return fixedMs + msPerToken * tokens;
    }
  }

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
    Objects.requireNonNull(encode, "encode");
    Objects.requireNonNull(decode, "decode");
  }

  /** A transfer with no codec cost on either replica. */
  public KvHandoff(double fixedMs, double bytesPerToken, double bytesPerMs) {
    this(fixedMs, bytesPerToken, bytesPerMs, Stage.NONE, Stage.NONE);
  }

  /** A transfer with neither a fixed nor a codec cost. */
  public KvHandoff(double bytesPerToken, double bytesPerMs) {
    this(0, bytesPerToken, bytesPerMs);
  }

  public static KvHandoff free() {
    return new KvHandoff(0, 0, Double.POSITIVE_INFINITY);
  }

  /**
   * A handoff measured stage by stage in time (each fitted from a real run): the transfer is {@code
   * transfer.ms(tokens)}, with the byte throughput set to 1 byte/ms so that {@code bytesPerToken}
   * carries its ms per token.
   */
  public static KvHandoff measured(Stage encode, Stage transfer, Stage decode) {
    return new KvHandoff(transfer.fixedMs(), transfer.msPerToken(), 1, encode, decode);
  }

  public double transferMs(int tokens) {
    return fixedMs + tokens * bytesPerToken / bytesPerMs;
  }
}
