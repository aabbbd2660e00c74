package dev.coemesh.router.filter;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Keeps replicas with enough free KV blocks for the prompt's part they do not already cache (plus
 * one generated token), so admission will not have to wait for blocks.
 */
public final class CapacityFilter implements Filter {
  @Override
  public String name() {
    return "capacity";
  }

  @Override
  public List<ReplicaView> filter(RouteContext request, List<ReplicaView> candidates) {
    return candidates.stream()
        .filter(
            r ->
                r.kvBlocksFree()
                    >= request.blocksNeeded(r.matchedPrefixBlocks(request.blockHashes())))
        .toList();
  }
}
