package dev.coemesh.kv.control;

import dev.coemesh.kv.codec.CodecLevel;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How a prefill worker picks the handoff of each request's KV ({@link HandoffController}).
 *
 * @param fixedLevel every KV is written at this level and text is never chosen (level 0 keeps
 *     decode bit-identical to colocated serving); empty: {@code auto}, the controller chooses a
 *     level or text per request
 * @param initialMegabytesPerSecond store throughput assumed until the first write is measured (MB =
 *     10^6 bytes)
 * @param probeInterval in auto, once no write has been measured for this long, a request that would
 *     go as text ships at level 1 instead, so a throughput estimate that fell (and stopped being
 *     measured, since text writes nothing) can recover
 */
public record HandoffPolicy(
    Optional<CodecLevel> fixedLevel, double initialMegabytesPerSecond, Duration probeInterval) {
  public static final String AUTO = "auto";

  public HandoffPolicy {
    Objects.requireNonNull(fixedLevel, "fixedLevel");
    Objects.requireNonNull(probeInterval, "probeInterval");
    if (!(initialMegabytesPerSecond > 0) || Double.isInfinite(initialMegabytesPerSecond)) {
      throw new IllegalArgumentException(
          "the initial store throughput must be > 0 MB/s, was " + initialMegabytesPerSecond);
    }
    if (probeInterval.isNegative() || probeInterval.isZero()) {
      throw new IllegalArgumentException("the probe interval must be > 0");
    }
  }

  /** Every KV at {@code level}, whatever the store's throughput. */
  public static HandoffPolicy fixed(CodecLevel level) {
    return new HandoffPolicy(Optional.of(level), 1000, Duration.ofSeconds(30));
  }

  /** {@code auto} or a level id 0..3, as a flag or config value spells it. */
  public static Optional<CodecLevel> parseLevel(String text) {
    String value = text.trim().toLowerCase(Locale.ROOT);
    if (value.equals(AUTO)) {
      return Optional.empty();
    }
    try {
      return Optional.of(CodecLevel.of(Integer.parseInt(value)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "codec level must be auto or 0 (lossless) to 3, was '" + text + "'");
    }
  }
}
