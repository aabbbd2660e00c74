package dev.coemesh.worker.client;

import dev.coemesh.core.expert.ReplicaId;

/**
 * Where each replica is reached: the membership the replicas announced (their load reports carry
 * their gRPC endpoint), or a fixed list in a benchmark. Thread-safe.
 */
@FunctionalInterface
public interface WorkerDirectory {
  /**
   * The client of a live replica; throws {@code MeshException(NO_HEALTHY_REPLICA)} when it is not
   * known (expired, never announced).
   */
  WorkerClient client(ReplicaId replica);
}
