package dev.coemesh.router;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.router.replica.ReplicaView;
import java.util.HashSet;
import java.util.Set;

/** Test fixtures: replicas and requests of one expert. */
public final class Replicas {
  public static final ExpertId EXPERT = new ExpertId("stories");

  private Replicas() {}

  public static ReplicaView replica(
      String name, int queue, int used, int free, Set<Long> blocks, boolean open) {
    return new ReplicaView(
        new ReplicaId(EXPERT, ReplicaRole.COLOCATED, name), queue, 0, used, free, blocks, open);
  }

  public static ReplicaView replica(String name, int queue, int used, int free) {
    return replica(name, queue, used, free, Set.of(), false);
  }

  /**
   * A prompt of {@code tokens} tokens (ids 0..n-1 shifted by {@code salt}) and its block hashes.
   */
  public static long[] blocks(int tokens, int salt) {
    int[] ids = new int[tokens];
    for (int i = 0; i < tokens; i++) {
      ids[i] = i + salt;
    }
    return BlockHashes.chain(ids, tokens, 16);
  }

  public static Set<Long> first(long[] hashes, int n) {
    Set<Long> out = new HashSet<>();
    for (int i = 0; i < n; i++) {
      out.add(hashes[i]);
    }
    return out;
  }

  public static RouteContext request(long[] blocks, int promptTokens, String session) {
    return new RouteContext(EXPERT, ReplicaRole.COLOCATED, blocks, promptTokens, 16, session);
  }
}
