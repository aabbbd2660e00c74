package dev.coemesh.router.decide;

import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.router.RouteContext;

/**
 * Disaggregates when the prompt part that must be computed is long: short prompts (or prompts
 * mostly in a replica's prefix cache) are cheaper colocated than the KV handoff (DistServe's
 * guidance).
 */
public final class UncachedPromptDecider implements DisaggregationDecider {
  private final int minUncachedTokens;

  public UncachedPromptDecider(int minUncachedTokens) {
    if (minUncachedTokens < 1) {
      throw new IllegalArgumentException("threshold must be >= 1 token");
    }
    this.minUncachedTokens = minUncachedTokens;
  }

  @Override
  public ServingMode decide(RouteContext request, int cachedBlocks) {
    int uncached = Math.max(0, request.promptTokens() - cachedBlocks * request.blockSize());
    return uncached >= minUncachedTokens ? ServingMode.DISAGGREGATED : ServingMode.COLOCATED;
  }
}
