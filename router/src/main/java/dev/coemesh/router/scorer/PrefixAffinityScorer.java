package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * The fraction of the prompt's full blocks that the replica holds as a prefix: matching chained
 * hashes from the start, so a hit means the whole prefix up to it is cached. A prompt without a
 * full block scores 0 everywhere.
 */
public final class PrefixAffinityScorer implements Scorer {
  @Override
  public String name() {
    return "prefix-affinity";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    long[] blocks = request.blockHashes();
    return blocks.length == 0 ? 0 : (double) replica.matchedPrefixBlocks(blocks) / blocks.length;
  }
}
