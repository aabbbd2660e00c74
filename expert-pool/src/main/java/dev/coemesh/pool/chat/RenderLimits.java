package dev.coemesh.pool.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * How much work one rendering of a chat template may do. A template comes from the model file, not
 * from the operator's code, so a hostile or broken one (a loop that never ends, output that doubles
 * each step) must fail on these bounds instead of holding a gateway thread.
 *
 * @param maxOutputSize the most text a rendering may produce, as Jinjava counts it; also the
 *     longest string an expression may build
 * @param maxNodes the most template nodes (text, tags, expressions) one rendering may visit: a
 *     deterministic bound on loops
 * @param maxDuration the wall-clock bound of one rendering, checked at every node: it catches loops
 *     whose bodies do almost nothing, which the node count reaches only slowly
 * @param maxCollectionSize the largest list or map a template may build
 */
public record RenderLimits(
    long maxOutputSize, long maxNodes, Duration maxDuration, int maxCollectionSize) {

  /**
   * Generous for any real conversation (a 128k-token prompt is ~0.5 MB of text; the common
   * templates visit tens of nodes a message), small enough that a failure costs well under a
   * second.
   */
  public static final RenderLimits DEFAULT =
      new RenderLimits(16L << 20, 200_000, Duration.ofSeconds(2), 100_000);

  public RenderLimits {
    Objects.requireNonNull(maxDuration, "maxDuration");
    if (maxOutputSize < 1 || maxNodes < 1 || maxCollectionSize < 1 || !maxDuration.isPositive()) {
      throw new IllegalArgumentException("render limits must be positive");
    }
  }
}
