package dev.coemesh.routerservice.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.planner.control.Bounds;
import dev.coemesh.planner.control.ControlSettings;
import dev.coemesh.planner.control.Phase;
import dev.coemesh.planner.control.Reason;
import dev.coemesh.planner.control.ReplicaCapacity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The planner loop fed through a signal bus: what it hears becomes per-pool decisions. */
class PlannerLoopTest {
  static final ExpertId CODER = new ExpertId("coder");
  static final ControlSettings FAST = new ControlSettings(0.9, 0.97, 0.8, 0.6, 2, 3, 0, 0, 60_000);

  final AtomicLong clock = new AtomicLong(1_000_000);
  final InProcessSignalBus bus = new InProcessSignalBus(1024);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final PlannerLoop loop =
      new PlannerLoop(
          bus,
          (expert, phase) ->
              phase == Phase.DECODE
                  ? new ReplicaCapacity(4, 20, 100, false)
                  : new ReplicaCapacity(4, 100, 2000, true),
          new Bounds(1, 8),
          FAST,
          10_000,
          10_000,
          registry,
          clock::get);

  @AfterEach
  void close() {
    loop.close();
    bus.close();
  }

  void report(ReplicaRole role, String instance, double ttftMs, double tpotMs) {
    bus.publish(
        new SignalEvent.LoadReport(
            new ReplicaId(CODER, role, instance), 0, 1, 0, 100, ttftMs, tpotMs, clock.get()));
  }

  void slo(double ttft, double tpot) {
    bus.publish(new SignalEvent.SloReport("coder", ttft, tpot, 1, 60_000, clock.get()));
  }

  void routed(int requests) {
    for (int i = 0; i < requests; i++) {
      bus.publish(
          new SignalEvent.RoutingDecision(
              "r" + i,
              "code",
              1,
              "coder",
              null,
              "disaggregated",
              "classified",
              Map.of(),
              clock.get()));
    }
  }

  void settle() throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (bus.deliveredCount() + bus.droppedCount() < published && System.nanoTime() < end) {
      Thread.sleep(5);
    }
  }

  long published;

  void tick(int n) throws InterruptedException {
    for (int i = 0; i < n; i++) {
      clock.addAndGet(1000);
      report(ReplicaRole.PREFILL, "p0", 150, 0);
      report(ReplicaRole.DECODE, "d0", 0, 40);
      report(ReplicaRole.DECODE, "d1", 0, 40);
      published += 3;
      settle();
      loop.loadTick();
    }
  }

  @Test
  void decodeMissingItsTpotGetsOneMoreReplicaAndPrefillStays() throws InterruptedException {
    routed(20);
    slo(0.99, 0.5);
    published += 21;
    tick(1);
    loop.throughputTick();
    tick(1);
    List<PlanRow> rows = loop.rows();
    assertEquals(2, rows.size(), rows.toString());
    PlanRow decode =
        rows.stream().filter(r -> r.phase().equals("decode")).findFirst().orElseThrow();
    PlanRow prefill =
        rows.stream().filter(r -> r.phase().equals("prefill")).findFirst().orElseThrow();
    assertEquals(3, decode.desiredReplicas(), rows.toString());
    assertEquals("slo-missed", decode.reason());
    assertEquals(2, decode.readyReplicas());
    assertEquals(1, prefill.desiredReplicas(), rows.toString());
    assertEquals(
        3.0,
        registry
            .get("mesh.planner.desired.replicas")
            .tags("expert", "coder", "phase", "decode")
            .gauge()
            .value());
    assertTrue(
        registry
                .get("mesh.planner.decisions")
                .tags("expert", "coder", "phase", "decode", "reason", "slo-missed")
                .counter()
                .count()
            == 1);
    // the third replica is not ready yet: nothing more is asked for
    tick(3);
    assertEquals(Reason.PENDING, loop.reason("coder", Phase.DECODE));
    assertEquals(
        3,
        loop.rows().stream()
            .filter(r -> r.phase().equals("decode"))
            .findFirst()
            .orElseThrow()
            .desiredReplicas());
  }

  @Test
  void theFloorComesFromTheRoutedRateAndTheObservedLatency() throws InterruptedException {
    // 20 requests in a 10 s window: 2 req/s. Decode replicas report 40 ms per token against a
    // 20 ms profile, a ratio of 2: 4 req/s per replica becomes 2, at 80% busy 1.6 -> 2 replicas;
    // prefill at 150 / 100 ms: 4 / 1.5 * min(0.8, 1 - 150/2000) = 2.13 req/s -> 1 replica
    routed(20);
    published += 20;
    tick(1);
    loop.throughputTick();
    tick(1);
    PlanRow decode =
        loop.rows().stream().filter(r -> r.phase().equals("decode")).findFirst().orElseThrow();
    assertEquals(2, decode.floor());
    assertEquals(Reason.STEADY, loop.reason("coder", Phase.DECODE));
    assertEquals(
        1,
        loop.rows().stream()
            .filter(r -> r.phase().equals("prefill"))
            .findFirst()
            .orElseThrow()
            .floor());
  }
}
