package dev.coemesh.worker.client;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import java.util.Set;

/**
 * How one request's placement is replaced when a replica fails it: the router places the request
 * again without the failed replicas, so every replica choice, failovers included, is the router's.
 */
public interface Replanner {
  /**
   * A new placement avoiding {@code failed}; throws {@code MeshException(NO_HEALTHY_REPLICA)} when
   * none is left.
   */
  Placement replan(Set<ReplicaId> failed);

  /** The outcome of one attempt on a replica, for its circuit breaker. */
  void outcome(ReplicaId replica, boolean success);

  /** A replanner for callers with a fixed placement: no replacement, outcomes ignored. */
  static Replanner none() {
    return new Replanner() {
      @Override
      public Placement replan(Set<ReplicaId> failed) {
        throw new MeshException(
            ErrorCode.NO_HEALTHY_REPLICA,
            "the placed replica failed and no replacement was allowed");
      }

      @Override
      public void outcome(ReplicaId replica, boolean success) {}
    };
  }
}
