package dev.coemesh.router.scorer;

import static dev.coemesh.router.Replicas.blocks;
import static dev.coemesh.router.Replicas.first;
import static dev.coemesh.router.Replicas.replica;
import static dev.coemesh.router.Replicas.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.router.replica.ReplicaView;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScorerTest {

  @ParameterizedTest
  @CsvSource({"0, 0, 4, 1.0", "2, 0, 4, 0.5", "4, 0, 4, 0.0", "0, 0, 0, 1.0"})
  void queueDepthScoresRelativeToTheLongestQueue(
      int mine, int other, int longest, double expected) {
    ReplicaView me = replica("a", mine, 0, 10);
    List<ReplicaView> all = List.of(me, replica("b", other, 0, 10), replica("c", longest, 0, 10));
    assertEquals(
        expected, new QueueDepthScorer().score(request(new long[0], 10, null), me, all), 1e-12);
  }

  @ParameterizedTest
  @CsvSource({"0, 10, 1.0", "5, 5, 0.5", "10, 0, 0.0", "0, 0, 1.0"})
  void kvUtilisationPrefersFreeBlocks(int used, int free, double expected) {
    ReplicaView r = replica("a", 0, used, free);
    assertEquals(
        expected,
        new KvUtilisationScorer().score(request(new long[0], 10, null), r, List.of(r)),
        1e-12);
  }

  @ParameterizedTest
  @CsvSource({"0, 0.0", "1, 0.25", "3, 0.75", "4, 1.0"})
  void prefixAffinityCountsTheMatchedChainPrefix(int cachedBlocks, double expected) {
    long[] hashes = blocks(64, 0); // 4 full blocks
    ReplicaView r = replica("a", 0, 0, 10, first(hashes, cachedBlocks), false);
    assertEquals(
        expected,
        new PrefixAffinityScorer().score(request(hashes, 64, null), r, List.of(r)),
        1e-12);
  }

  @Test
  void prefixAffinityNeedsTheChainFromTheStart() {
    long[] hashes = blocks(64, 0);
    // holds blocks 2 and 3 but not 0: the chain breaks at once, so nothing is reusable
    ReplicaView r = replica("a", 0, 0, 10, Set.of(hashes[2], hashes[3]), false);
    assertEquals(0.0, new PrefixAffinityScorer().score(request(hashes, 64, null), r, List.of(r)));
    // another prompt's blocks never match: block hashes chain over the whole prefix
    ReplicaView other = replica("b", 0, 0, 10, first(blocks(64, 1), 4), false);
    assertEquals(
        0.0, new PrefixAffinityScorer().score(request(hashes, 64, null), other, List.of(other)));
  }

  @Test
  void sessionAffinityPicksOneStableOwnerAmongCandidates() {
    List<ReplicaView> all =
        List.of(replica("a", 0, 0, 1), replica("b", 0, 0, 1), replica("c", 0, 0, 1));
    SessionAffinityScorer scorer = new SessionAffinityScorer();
    for (String session : List.of("alice", "bob", "carol", "dave")) {
      double sum = 0;
      for (ReplicaView r : all) {
        sum += scorer.score(request(new long[0], 5, session), r, all);
      }
      assertEquals(1.0, sum, "exactly one owner for " + session);
      ReplicaView owner =
          all.stream()
              .filter(r -> scorer.score(request(new long[0], 5, session), r, all) == 1)
              .findFirst()
              .orElseThrow();
      // removing a non-owner does not move the session
      List<ReplicaView> fewer =
          all.stream()
              .filter(r -> r == owner || r != all.get((all.indexOf(owner) + 1) % 3))
              .toList();
      assertEquals(1.0, scorer.score(request(new long[0], 5, session), owner, fewer));
    }
    assertEquals(0.0, scorer.score(request(new long[0], 5, null), all.getFirst(), all));
  }
}
