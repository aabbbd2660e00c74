package dev.coemesh.gateway.fair;

import dev.coemesh.core.expert.ExpertId;

/**
 * How many requests an expert can run at once, as the serving side reports it. The scheduler
 * compares this with the requests it has admitted there and not yet seen finish.
 *
 * <p>Called under the scheduler's lock on every admission attempt: it must be fast, must not block
 * and must be thread-safe. Throws {@link dev.coemesh.core.error.MeshException} with {@code
 * MODEL_NOT_FOUND} for an expert it does not know.
 */
@FunctionalInterface
public interface CapacitySource {

  /** Requests {@code expert} can hold now, those this scheduler already admitted included; >= 0. */
  int limit(ExpertId expert);

  /** The same limit for every expert (tests, upstreams with a configured concurrency). */
  static CapacitySource fixed(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, was " + limit);
    }
    return expert -> limit;
  }
}
