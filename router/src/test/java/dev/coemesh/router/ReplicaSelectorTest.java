package dev.coemesh.router;

import static dev.coemesh.router.Replicas.blocks;
import static dev.coemesh.router.Replicas.first;
import static dev.coemesh.router.Replicas.replica;
import static dev.coemesh.router.Replicas.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.filter.CapacityFilter;
import dev.coemesh.router.filter.HealthFilter;
import dev.coemesh.router.filter.RoleFilter;
import dev.coemesh.router.picker.MaxScorePicker;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.router.scorer.KvUtilisationScorer;
import dev.coemesh.router.scorer.PrefixAffinityScorer;
import dev.coemesh.router.scorer.QueueDepthScorer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReplicaSelectorTest {
  private static ReplicaSelector selector(double prefixWeight, double queueWeight) {
    return new ReplicaSelector(
        List.of(new HealthFilter(), new RoleFilter(), new CapacityFilter()),
        List.of(
            new ReplicaSelector.Weighted(new PrefixAffinityScorer(), prefixWeight),
            new ReplicaSelector.Weighted(new QueueDepthScorer(), queueWeight),
            new ReplicaSelector.Weighted(new KvUtilisationScorer(), 1)),
        new MaxScorePicker(new SplittableRandom(3)));
  }

  @Test
  void theReplicaHoldingThePrefixWinsUnlessItsQueueOutweighsIt() {
    long[] hashes = blocks(128, 0); // 8 blocks
    ReplicaView warm = replica("warm", 4, 40, 60, first(hashes, 8), false);
    ReplicaView cold = replica("cold", 0, 40, 60);
    List<ReplicaView> both = List.of(cold, warm);
    ReplicaSelector.Selection prefixFirst = selector(3, 1).select(request(hashes, 128, null), both);
    assertEquals("warm", prefixFirst.replica().id().instance());
    assertEquals(1.0, prefixFirst.scores().get("prefix-affinity"));
    assertEquals(0.0, prefixFirst.scores().get("queue"));
    assertEquals((3 * 1.0 + 1 * 0.0 + 1 * 0.6) / 5, prefixFirst.score(), 1e-12);
    assertEquals(
        "cold",
        selector(0.5, 3).select(request(hashes, 128, null), both).replica().id().instance());
  }

  @Test
  void noSurvivingReplicaIsATypedUnavailableError() {
    ReplicaView full = replica("full", 0, 100, 0);
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> selector(1, 1).select(request(blocks(64, 0), 64, null), List.of(full)));
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, e.code());
    assertEquals("no replica of stories passes the capacity filter", e.getMessage());
  }
}
