package dev.coemesh.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteReason;
import dev.coemesh.router.config.RoutingConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentDecisionsTest {
  private static final ExpertId CODE = new ExpertId("code");
  private static final TenantId ACME = new TenantId("acme");
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

  private static RouteDecision decision(int n, Placement placement) {
    RoutingConfig.ModelSource source =
        placement instanceof Placement.Upstream
            ? new RoutingConfig.ModelSource.Upstream(URI.create("http://up:8000"), "m", null, 4)
            : new RoutingConfig.ModelSource.Embedded("m.gguf", null);
    return new RouteDecision(
        "req-" + n,
        "code",
        0.875,
        RouteReason.CLASSIFIED,
        CODE,
        source,
        null,
        Double.NaN,
        placement,
        0,
        Map.of());
  }

  private static Placement colocated(String instance) {
    return new Placement.Colocated(new ReplicaId(CODE, ReplicaRole.COLOCATED, instance));
  }

  @Test
  void keepsTheLatestDecisionsNewestFirstAndDropsTheOldest() {
    RecentDecisions recent = new RecentDecisions(3, clock::get);
    for (int i = 1; i <= 5; i++) {
      clock.incrementAndGet();
      recent.record(ACME, decision(i, colocated("r" + i)));
    }

    List<RecentDecisions.DecisionRow> rows = recent.latest();
    assertEquals(List.of(5L, 4L, 3L), rows.stream().map(RecentDecisions.DecisionRow::seq).toList());
    assertEquals(5, recent.recorded());
    assertEquals(
        new RecentDecisions.DecisionRow(
            5,
            1_700_000_000_005L,
            "acme",
            "code",
            0.875,
            "classified",
            "code",
            "colocated",
            List.of("code/colocated/r5")),
        rows.getFirst());
  }

  @Test
  void namesEachKindOfPlacementAndItsReplicas() {
    RecentDecisions recent = new RecentDecisions(10, clock::get);
    recent.record(ACME, decision(1, new Placement.Upstream()));
    recent.record(
        ACME,
        decision(
            2,
            new Placement.Disaggregated(
                new ReplicaId(CODE, ReplicaRole.PREFILL, "p0"),
                new ReplicaId(CODE, ReplicaRole.DECODE, "d0"))));

    List<RecentDecisions.DecisionRow> rows = recent.latest();
    assertEquals("disaggregated", rows.get(0).placement());
    assertEquals(List.of("code/prefill/p0", "code/decode/d0"), rows.get(0).replicas());
    assertEquals("upstream", rows.get(1).placement());
    assertEquals(List.of(), rows.get(1).replicas());
  }

  @Test
  void isEmptyBeforeTheFirstDecision() {
    assertEquals(List.of(), new RecentDecisions(50, clock::get).latest());
  }
}
