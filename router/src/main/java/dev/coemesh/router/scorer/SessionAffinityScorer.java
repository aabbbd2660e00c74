package dev.coemesh.router.scorer;

import dev.coemesh.router.RouteContext;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Keeps a session on one replica by rendezvous hashing: the candidate with the highest
 * hash(session, replica) scores 1, the others 0. When that replica leaves, only its sessions move.
 */
public final class SessionAffinityScorer implements Scorer {
  @Override
  public String name() {
    return "session-affinity";
  }

  @Override
  public double score(RouteContext request, ReplicaView replica, List<ReplicaView> candidates) {
    if (request.sessionKey() == null) {
      return 0;
    }
    ReplicaView owner = candidates.getFirst();
    long best = Long.MIN_VALUE;
    for (ReplicaView r : candidates) {
      long weight =
          mix(request.sessionKey().hashCode() * 0x9E3779B97F4A7C15L ^ r.id().toString().hashCode());
      if (weight > best) {
        best = weight;
        owner = r;
      }
    }
    return owner.id().equals(replica.id()) ? 1 : 0;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }
}
