package dev.coemesh.gateway.fair;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.ExpertBackend;
import java.util.Objects;
import java.util.function.Function;

/**
 * Capacity from the serving side's own snapshot ({@link ExpertBackend#capacity()}): an expert holds
 * as many requests as it has batch slots, and none beyond those already running while its KV pool
 * is full. Admitting more would only park requests in the backend's FIFO, where no fairness
 * applies; keeping them in the tenant queues lets VTC order them.
 *
 * <p>A backend that reports no KV pool ({@code totalKvBlocks == 0}, e.g. an OpenAI-compatible
 * upstream) is limited by its batch slots alone.
 */
public final class BackendCapacity implements CapacitySource {
  private final Function<ExpertId, ExpertBackend.Capacity> capacities;

  /**
   * @param capacities the capacity of the pool serving an expert now, or null when the expert is
   *     not served here
   */
  public BackendCapacity(Function<ExpertId, ExpertBackend.Capacity> capacities) {
    this.capacities = Objects.requireNonNull(capacities, "capacities");
  }

  @Override
  public int limit(ExpertId expert) {
    ExpertBackend.Capacity c = capacities.apply(expert);
    if (c == null) {
      throw new MeshException(
          ErrorCode.MODEL_NOT_FOUND, "The model '" + expert + "' does not exist", "model", null);
    }
    boolean kvFull = c.totalKvBlocks() > 0 && c.freeKvBlocks() == 0;
    return kvFull
        ? Math.min(c.runningSequences(), c.maxRunningSequences())
        : c.maxRunningSequences();
  }
}
