package dev.coemesh.router.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.router.Replicas;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaRegistryTest {
  static final class ManualClock extends Clock {
    long millis;

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private static final ReplicaId A = new ReplicaId(Replicas.EXPERT, ReplicaRole.COLOCATED, "a");

  /** A replica of another expert that keeps reporting: the signals themselves are flowing. */
  private static final ReplicaId WITNESS =
      new ReplicaId(new ExpertId("witness"), ReplicaRole.COLOCATED, "w");

  /** Another replica reports once a second for {@code seconds}: the signals flow, A is silent. */
  private static void witnessReports(ReplicaRegistry registry, ManualClock clock, int seconds) {
    for (int i = 0; i < seconds; i++) {
      clock.millis += 1_000;
      registry.onLoad(new SignalEvent.LoadReport(WITNESS, 0, 0, 0, 100, 0, 0, 0));
    }
  }

  @Test
  void whenEveryReplicaFallsSilentTheLastKnownStateIsKeptUntilSignalsResume() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 3, Duration.ofSeconds(5), clock);
    registry.onLoad(new SignalEvent.LoadReport(A, 1, 2, 30, 70, 10, 5, 0));
    registry.onLoad(new SignalEvent.LoadReport(WITNESS, 0, 0, 0, 100, 0, 0, 0));
    clock.millis += 60_000; // the broker is down: nobody is heard
    assertEquals(1, registry.snapshot(Replicas.EXPERT).size(), "serving on the last known state");
    assertEquals(2, registry.find(A).runningSequences());

    registry.onLoad(new SignalEvent.LoadReport(WITNESS, 0, 0, 0, 100, 0, 0, 0)); // it is back
    assertEquals(2, registry.find(A).runningSequences(), "A gets a window to be heard again");
    witnessReports(registry, clock, 11);
    assertNull(registry.find(A), "A stayed silent while the others resumed: it expired");
  }

  @Test
  void liveReplicasAreCountedByExpertAndRoleAndASilentOneCountsAsExpiredOnce() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 2, Duration.ofSeconds(5), clock);
    ReplicaId prefill = new ReplicaId(Replicas.EXPERT, ReplicaRole.PREFILL, "p");
    registry.onLoad(new SignalEvent.LoadReport(A, 0, 0, 0, 100, 0, 0, 0));
    registry.onLoad(new SignalEvent.LoadReport(prefill, 0, 0, 0, 100, 0, 0, 0));
    assertEquals(1, registry.live(Replicas.EXPERT, ReplicaRole.COLOCATED));
    assertEquals(1, registry.live(Replicas.EXPERT, ReplicaRole.PREFILL));
    assertEquals(0, registry.live(Replicas.EXPERT, ReplicaRole.DECODE));

    witnessReports(registry, clock, 11); // A and the prefill replica stay silent
    assertEquals(0, registry.live(Replicas.EXPERT, ReplicaRole.COLOCATED));
    assertEquals(0, registry.live(Replicas.EXPERT, ReplicaRole.PREFILL));
    assertEquals(1, registry.expired(Replicas.EXPERT, ReplicaRole.COLOCATED));
    assertEquals(1, registry.expired(Replicas.EXPERT, ReplicaRole.PREFILL));
    registry.snapshot(Replicas.EXPERT);
    assertEquals(1, registry.expired(Replicas.EXPERT, ReplicaRole.COLOCATED), "counted once");
    assertEquals(0, registry.expired(WITNESS.expert(), ReplicaRole.COLOCATED));
  }

  @Test
  void openBreakersAreCountedPerExpertUntilTheirCooldownEnds() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 2, Duration.ofSeconds(5), clock);
    registry.recordOutcome(A, false);
    assertEquals(0, registry.openBreakers(Replicas.EXPERT), "one failure of two");
    registry.recordOutcome(A, false);
    registry.recordOutcome(WITNESS, false);
    assertEquals(1, registry.openBreakers(Replicas.EXPERT));
    assertEquals(0, registry.openBreakers(WITNESS.expert()));
    clock.millis += 5_000;
    assertEquals(0, registry.openBreakers(Replicas.EXPERT), "half-open lets requests through");
  }

  @Test
  void loadAndBlockEventsBuildTheViewAndStaleReplicasExpire() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 3, Duration.ofSeconds(5), clock);
    registry.onLoad(new SignalEvent.LoadReport(A, 2, 1, 30, 70, 10, 5, 0));
    registry.onKvEvent(
        new SignalEvent.KvBlockEvent(
            A, SignalEvent.KvBlockEvent.Kind.STORED, List.of(1L, 2L, 3L), 0));
    registry.onKvEvent(
        new SignalEvent.KvBlockEvent(A, SignalEvent.KvBlockEvent.Kind.EVICTED, List.of(2L), 0));
    ReplicaView view = registry.snapshot(Replicas.EXPERT).getFirst();
    assertEquals(2, view.queueDepth());
    assertEquals(0.3, view.kvUtilisation(), 1e-12);
    assertEquals(Set.of(1L, 3L), view.cachedBlocks());

    registry.onKvEvent(
        new SignalEvent.KvBlockEvent(A, SignalEvent.KvBlockEvent.Kind.CLEARED, List.of(), 0));
    assertEquals(Set.of(), registry.snapshot(Replicas.EXPERT).getFirst().cachedBlocks());

    registry.onKvEvent(
        new SignalEvent.KvBlockEvent(A, SignalEvent.KvBlockEvent.Kind.STORED, List.of(9L), 0));
    witnessReports(registry, clock, 11); // A silent longer than the expiry: forgotten, cache too
    assertEquals(List.of(), registry.snapshot(Replicas.EXPERT));
    registry.onLoad(new SignalEvent.LoadReport(A, 0, 0, 0, 100, 0, 0, 0)); // restarted replica
    assertEquals(Set.of(), registry.snapshot(Replicas.EXPERT).getFirst().cachedBlocks());
  }

  @Test
  void findGivesTheLatestAnnouncedEndpointAndFingerprintUntilTheReplicaExpires() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 3, Duration.ofSeconds(5), clock);
    ReplicaId b = new ReplicaId(Replicas.EXPERT, ReplicaRole.DECODE, "b");
    assertNull(registry.find(A), "unknown");
    registry.onKvEvent(
        new SignalEvent.KvBlockEvent(A, SignalEvent.KvBlockEvent.Kind.STORED, List.of(1L), 0));
    assertNull(registry.find(A), "no load report yet: not routable");

    registry.onLoad(new SignalEvent.LoadReport(A, "10.0.0.1:9101", 42L, 1, 0, 0, 64, 0, 0, 0));
    registry.onLoad(new SignalEvent.LoadReport(b, 0, 0, 0, 64, 0, 0, 0));
    registry.onLoad(new SignalEvent.LoadReport(A, "10.0.0.2:9101", 43L, 2, 0, 0, 64, 0, 0, 0));
    ReplicaView a = registry.find(A);
    assertEquals("10.0.0.2:9101", a.endpoint());
    assertEquals(43L, a.modelFingerprint());
    assertEquals(2, a.queueDepth());
    assertEquals(Set.of(1L), a.cachedBlocks());
    assertEquals(
        a,
        registry.snapshot(Replicas.EXPERT).stream()
            .filter(v -> v.id().equals(A))
            .findFirst()
            .orElseThrow());
    assertNull(registry.find(b).endpoint(), "an in-process replica announces no endpoint");
    assertEquals(0, registry.find(b).modelFingerprint());

    witnessReports(registry, clock, 11);
    assertNull(registry.find(A), "expired");
    assertEquals(List.of(), registry.snapshot(Replicas.EXPERT), "and removed");
  }

  @Test
  void theBreakerOpensAfterConsecutiveFailuresAndRecoversAfterTheCooldown() {
    ManualClock clock = new ManualClock();
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofMinutes(1), 3, Duration.ofSeconds(5), clock);
    registry.onLoad(new SignalEvent.LoadReport(A, 0, 0, 0, 100, 0, 0, 0));
    registry.recordOutcome(A, false);
    registry.recordOutcome(A, false);
    assertFalse(registry.snapshot(Replicas.EXPERT).getFirst().breakerOpen());
    registry.recordOutcome(A, false);
    assertTrue(registry.snapshot(Replicas.EXPERT).getFirst().breakerOpen());
    clock.millis += 5_000;
    assertFalse(
        registry.snapshot(Replicas.EXPERT).getFirst().breakerOpen(),
        "half-open after the cooldown");
    registry.recordOutcome(A, false);
    assertTrue(
        registry.snapshot(Replicas.EXPERT).getFirst().breakerOpen(), "a half-open failure reopens");
    clock.millis += 5_000;
    registry.recordOutcome(A, true);
    assertFalse(registry.snapshot(Replicas.EXPERT).getFirst().breakerOpen());
  }

  @Test
  void placementsCountInTheLoadUntilTheNextReportCountsThemItself() {
    ReplicaRegistry registry =
        new ReplicaRegistry(Duration.ofSeconds(10), 3, Duration.ofSeconds(5), new ManualClock());
    registry.placed(A); // not reported yet: nothing to count against
    registry.onLoad(new SignalEvent.LoadReport(A, 1, 2, 30, 70, 10, 5, 0));
    assertEquals(3, registry.find(A).load());
    registry.placed(A);
    registry.placed(A);
    assertEquals(5, registry.find(A).load());
    registry.onLoad(new SignalEvent.LoadReport(A, 0, 4, 30, 70, 10, 5, 0)); // they run now
    assertEquals(4, registry.find(A).load());
  }
}
