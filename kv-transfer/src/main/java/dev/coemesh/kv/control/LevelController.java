package dev.coemesh.kv.control;

import dev.coemesh.kv.codec.CodecLevel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chooses per chunk a codec level, or the text fallback (recompute the prefill on the decode side),
 * from a measured bandwidth and a TTFT budget, as CacheGen's streaming controller: try levels 3, 2,
 * 1 in that order and take the first whose expected transfer time fits the budget share of this
 * chunk; if none fits, send text.
 *
 * <p>Bandwidth is an EWMA of observed throughputs; expected sizes are EWMAs of observed bits per
 * element per level (seeded with defaults). Thread-safe: estimates are updated under a lock, reads
 * are of a consistent snapshot.
 */
public final class LevelController {
  /** What to do with one chunk. */
  public sealed interface Decision {
    /**
     * Send the chunk encoded at {@code level}; {@code expectedMs} is the predicted transfer time.
     */
    record Encode(CodecLevel level, double expectedMs) implements Decision {}

    /** Do not send KV: the receiver recomputes it from the prompt text. */
    record Text(double bestLevelMs) implements Decision {}
  }

  private static final CodecLevel[] BEST_FIRST = {
    CodecLevel.LEVEL_3, CodecLevel.LEVEL_2, CodecLevel.LEVEL_1
  };

  private final double alpha;
  private double bytesPerMs;
  private final double[] bitsPerElement = {
    32, 2.4, 2.8, 3.6
  }; // by level id; refined by observations
  private final AtomicLong textDecisions = new AtomicLong();
  private final AtomicLong[] levelDecisions = {
    new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()
  };

  /**
   * @param initialBytesPerMs bandwidth assumed before any observation
   * @param alpha EWMA weight of a new observation, in (0, 1]
   */
  public LevelController(double initialBytesPerMs, double alpha) {
    if (!(initialBytesPerMs > 0) || !(alpha > 0) || alpha > 1) {
      throw new IllegalArgumentException("bandwidth must be > 0 and alpha in (0, 1]");
    }
    this.bytesPerMs = initialBytesPerMs;
    this.alpha = alpha;
  }

  /** Records a transfer of {@code bytes} that took {@code millis}. */
  public synchronized void observeTransfer(long bytes, double millis) {
    if (bytes > 0 && millis > 0) {
      bytesPerMs = alpha * (bytes / millis) + (1 - alpha) * bytesPerMs;
    }
  }

  /** Records the encoded size of {@code elements} KV values at {@code level}. */
  public synchronized void observeSize(CodecLevel level, long elements, long bytes) {
    if (elements > 0) {
      int i = level.id();
      bitsPerElement[i] = alpha * (8.0 * bytes / elements) + (1 - alpha) * bitsPerElement[i];
    }
  }

  /** Replaces the bandwidth estimate, e.g. an assumed one by the first measured throughput. */
  public synchronized void resetBandwidth(double bytesPerMs) {
    if (!(bytesPerMs > 0) || Double.isInfinite(bytesPerMs)) {
      throw new IllegalArgumentException("bandwidth must be > 0, was " + bytesPerMs);
    }
    this.bytesPerMs = bytesPerMs;
  }

  public synchronized double bandwidthBytesPerMs() {
    return bytesPerMs;
  }

  /**
   * @param elements KV values in the chunk
   * @param budgetMs time left for the KV of this request
   * @param remainingChunks chunks still to send, this one included
   */
  public synchronized Decision choose(long elements, double budgetMs, int remainingChunks) {
    double share = budgetMs / Math.max(1, remainingChunks);
    double bestMs = Double.POSITIVE_INFINITY;
    for (CodecLevel level : BEST_FIRST) {
      double ms = elements * bitsPerElement[level.id()] / 8 / bytesPerMs;
      bestMs = Math.min(bestMs, ms);
      if (ms <= share) {
        levelDecisions[level.id()].incrementAndGet();
        return new Decision.Encode(level, ms);
      }
    }
    textDecisions.incrementAndGet();
    return new Decision.Text(bestMs);
  }

  /** Decisions so far for a level (1-3); exposed as metrics. */
  public long decisions(CodecLevel level) {
    return levelDecisions[level.id()].get();
  }

  public long textDecisions() {
    return textDecisions.get();
  }
}
