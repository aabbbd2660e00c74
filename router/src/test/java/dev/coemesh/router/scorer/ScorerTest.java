package dev.coemesh.router.scorer;

import static dev.coemesh.router.Replicas.blocks;
import static dev.coemesh.router.Replicas.first;
import static dev.coemesh.router.Replicas.replica;
import static dev.coemesh.router.Replicas.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.router.RouteContext;
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
  void prefixAffinityCountsTheMatchedChainPrefixBeyondAnEmptyCandidate(
      int cachedBlocks, double expected) {
    long[] hashes = blocks(64, 0); // 4 full blocks
    ReplicaView r = replica("a", 0, 0, 10, first(hashes, cachedBlocks), false);
    List<ReplicaView> all = List.of(r, replica("empty", 0, 0, 10));
    assertEquals(
        expected, new PrefixAffinityScorer().score(request(hashes, 64, null), r, all), 1e-12);
  }

  @Test
  void prefixAffinityScoresWhatAReplicaHoldsBeyondThePrefixEveryCandidateHolds() {
    long[] hashes = blocks(160, 0); // 10 full blocks
    // every candidate holds the first 4 (a shared system prompt); a holds 4 more of the session
    ReplicaView a = replica("a", 0, 0, 10, first(hashes, 8), false);
    ReplicaView b = replica("b", 0, 0, 10, first(hashes, 4), false);
    ReplicaView c = replica("c", 0, 0, 10, first(hashes, 5), false);
    List<ReplicaView> all = List.of(a, b, c);
    PrefixAffinityScorer scorer = new PrefixAffinityScorer();
    assertEquals(4 / 6.0, scorer.score(request(hashes, 160, null), a, all), 1e-12);
    assertEquals(0.0, scorer.score(request(hashes, 160, null), b, all), 1e-12);
    assertEquals(1 / 6.0, scorer.score(request(hashes, 160, null), c, all), 1e-12);
    // equal prefixes save nothing over each other; the whole prompt held everywhere scores 1
    List<ReplicaView> same = List.of(b, replica("d", 0, 0, 10, first(hashes, 4), false));
    assertEquals(0.0, scorer.score(request(hashes, 160, null), b, same), 1e-12);
    ReplicaView full = replica("e", 0, 0, 10, first(hashes, 10), false);
    assertEquals(1.0, scorer.score(request(hashes, 160, null), full, List.of(full)), 1e-12);
  }

  @Test
  void prefixAffinityNeedsTheChainFromTheStart() {
    long[] hashes = blocks(64, 0);
    ReplicaView empty = replica("empty", 0, 0, 10);
    // holds blocks 2 and 3 but not 0: the chain breaks at once, so nothing is reusable
    ReplicaView r = replica("a", 0, 0, 10, Set.of(hashes[2], hashes[3]), false);
    assertEquals(
        0.0, new PrefixAffinityScorer().score(request(hashes, 64, null), r, List.of(r, empty)));
    // another prompt's blocks never match: block hashes chain over the whole prefix
    ReplicaView other = replica("b", 0, 0, 10, first(blocks(64, 1), 4), false);
    assertEquals(
        0.0,
        new PrefixAffinityScorer().score(request(hashes, 64, null), other, List.of(other, empty)));
  }

  @Test
  void loadCountsRunningWaitingAndPlacedSinceTheReportRelativeToTheCandidates() {
    ReplicaView idle = loaded("idle", 0, 0, 0);
    ReplicaView busy = loaded("busy", 3, 1, 0); // 4 sequences at its report
    ReplicaView burst = loaded("burst", 0, 0, 2); // idle at its report, 2 placed since
    List<ReplicaView> all = List.of(idle, busy, burst);
    LoadScorer scorer = new LoadScorer();
    RouteContext any = request(new long[0], 10, null);
    assertEquals(1.0, scorer.score(any, idle, all), 1e-12);
    assertEquals(0.0, scorer.score(any, busy, all), 1e-12);
    assertEquals(0.5, scorer.score(any, burst, all), 1e-12);
    assertEquals(1.0, scorer.score(any, busy, List.of(busy, loaded("twin", 2, 2, 0))), 1e-12);
  }

  private static ReplicaView loaded(String name, int running, int waiting, int placed) {
    ReplicaView r = replica(name, waiting, 0, 10);
    return new ReplicaView(r.id(), null, 0, waiting, running, 0, 10, Set.of(), false, placed);
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
