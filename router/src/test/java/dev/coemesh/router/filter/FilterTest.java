package dev.coemesh.router.filter;

import static dev.coemesh.router.Replicas.blocks;
import static dev.coemesh.router.Replicas.first;
import static dev.coemesh.router.Replicas.replica;
import static dev.coemesh.router.Replicas.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.Replicas;
import dev.coemesh.router.replica.ReplicaView;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FilterTest {

  @Test
  void healthDropsOpenBreakersAndRoleKeepsTheWantedRole() {
    ReplicaView ok = replica("a", 0, 0, 10);
    ReplicaView open = replica("b", 0, 0, 10, Set.of(), true);
    ReplicaView decode =
        new ReplicaView(
            new ReplicaId(Replicas.EXPERT, ReplicaRole.DECODE, "d"), 0, 0, 0, 10, Set.of(), false);
    assertEquals(
        List.of(ok, decode),
        new HealthFilter().filter(request(new long[0], 5, null), List.of(ok, open, decode)));
    assertEquals(
        List.of(ok, open),
        new RoleFilter().filter(request(new long[0], 5, null), List.of(ok, open, decode)));
    assertEquals(
        List.of(decode),
        new RoleFilter().filter(request(new long[0], 5, null), List.of(decode)),
        "a colocated request runs on a decode replica when the pool has no colocated one");
  }

  /**
   * 64-token prompt (4 blocks of 16) + 1 generated token: 5 blocks uncached, fewer with a cached
   * prefix.
   */
  @ParameterizedTest
  @CsvSource({
    "5, 0, true",
    "4, 0, false",
    "1, 4, true",
    "0, 4, false",
    "2, 3, true",
    "1, 3, false"
  })
  void capacityCountsOnlyTheUncachedPart(int free, int cached, boolean kept) {
    long[] hashes = blocks(64, 0);
    ReplicaView r = replica("a", 0, 0, free, first(hashes, cached), false);
    assertEquals(
        kept ? 1 : 0, new CapacityFilter().filter(request(hashes, 64, null), List.of(r)).size());
  }
}
