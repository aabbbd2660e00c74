package dev.coemesh.router.picker;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.replica.ReplicaView;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ignores the scores and takes the candidates in turn, in replica-name order, one turn counter per
 * expert and role: the placement of a plain load balancer, the baseline against which the scored
 * placement is measured ({@code ./mesh bench mesh}). Candidates that a filter removed are skipped
 * for that request only; the turn still advances.
 */
public final class RoundRobinPicker implements Picker {
  private static final Comparator<ReplicaView> BY_NAME =
      Comparator.comparing(r -> r.id().instance());

  private record Pool(ExpertId expert, ReplicaRole role) {}

  private final Map<Pool, AtomicLong> turns = new ConcurrentHashMap<>();

  @Override
  public ReplicaView pick(List<ReplicaView> candidates, double[] scores) {
    ReplicaView first = candidates.getFirst();
    long turn =
        turns
            .computeIfAbsent(
                new Pool(first.id().expert(), first.id().role()), p -> new AtomicLong())
            .getAndIncrement();
    List<ReplicaView> ordered = candidates.stream().sorted(BY_NAME).toList();
    return ordered.get((int) Math.floorMod(turn, (long) ordered.size()));
  }
}
