package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * The share of the prompt's prefill work that this replica saves over the candidate that saves
 * least: {@code (held - leastHeld) / (blocks - leastHeld)}, where {@code held} counts the leading
 * full blocks the replica holds (matching chained hashes from the start, so a hit means the whole
 * prefix up to it is cached).
 *
 * <p>Relative, not {@code held / blocks}: a long system prompt every replica holds would otherwise
 * score every candidate high and drown the difference that matters, the session's own history held
 * on one replica only, in the load scorers. The candidate that holds least scores 0 and one holding
 * the whole rest of the prompt 1; when every candidate holds the same prefix, nobody saves more and
 * each scores 0 (all 1 when they hold the whole prompt). A prompt without a full block scores 0
 * everywhere.
 */
public final class PrefixAffinityScorer implements Scorer {
  @Override
  public String name() {
    return "prefix-affinity";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    long[] blocks = request.blockHashes();
    if (blocks.length == 0) {
      return 0;
    }
    int least = blocks.length;
    for (ReplicaView r : candidates) {
      least = Math.min(least, r.matchedPrefixBlocks(blocks));
    }
    if (least == blocks.length) {
      return 1;
    }
    return (double) (replica.matchedPrefixBlocks(blocks) - least) / (blocks.length - least);
  }
}
