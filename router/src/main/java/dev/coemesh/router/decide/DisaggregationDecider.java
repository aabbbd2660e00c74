package dev.coemesh.router.decide;

import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.router.RouteContext;

/** Chooses colocated or disaggregated serving for one request. Pure and thread-safe. */
public interface DisaggregationDecider {
  /**
   * @param cachedBlocks prompt blocks the best colocated candidate already caches
   */
  ServingMode decide(RouteContext request, int cachedBlocks);
}
