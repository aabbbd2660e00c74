package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/** {@code 1 - usedBlocks/totalBlocks}: prefers replicas with KV room. */
public final class KvUtilisationScorer implements Scorer {
  @Override
  public String name() {
    return "kv-utilisation";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    return 1 - replica.kvUtilisation();
  }
}
