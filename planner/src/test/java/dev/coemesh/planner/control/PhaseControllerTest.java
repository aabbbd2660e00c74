package dev.coemesh.planner.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The run-time loops against scripted signal sequences: a plant whose ready replicas follow the
 * decision after a start-up delay and whose attainment follows the replicas' utilisation.
 */
class PhaseControllerTest {
  /** 10 req/s per busy replica, 100 ms unqueued TTFT against a 1 s objective: 8 req/s each. */
  static final ReplicaCapacity PREFILL = new ReplicaCapacity(10, 100, 1000, true);

  /** One-second ticks; the throughput loop every minute; short cool-downs so runs stay short. */
  static final ControlSettings SETTINGS =
      new ControlSettings(0.9, 0.97, 0.8, 0.6, 2, 10, 30_000, 120_000, 180_000);

  static final long TICK_MS = 1000;
  static final int THROUGHPUT_EVERY = 60;

  /** Attainment of replicas at a utilisation: fine under 85% busy, poor near or over saturation. */
  static double attainment(double arrivalRps, int ready) {
    if (arrivalRps == 0) {
      return Double.NaN;
    }
    double rho = ready == 0 ? Double.POSITIVE_INFINITY : arrivalRps / (ready * 10.0);
    return rho <= 0.85 ? 0.99 : rho <= 1 ? 0.8 : 0.4;
  }

  /** A scripted run: its decisions, and the ready replicas each tick saw. */
  record Run(List<Decision> decisions, List<Integer> ready, List<Double> arrival) {
    int changes() {
      int n = 0;
      for (int i = 1; i < decisions.size(); i++) {
        n += decisions.get(i).desiredReplicas() != decisions.get(i - 1).desiredReplicas() ? 1 : 0;
      }
      return n;
    }

    Decision lastDecision() {
      return decisions.getLast();
    }
  }

  /**
   * Runs {@code ticks} load-loop ticks.
   *
   * @param startDelayTicks how long an added replica takes to become ready; {@code
   *     Integer.MAX_VALUE} for a pod that never schedules
   */
  static Run run(
      PhaseController c,
      int initialReady,
      int ticks,
      LongToDoubleFunction arrivalAtTick,
      int startDelayTicks) {
    List<Decision> decisions = new ArrayList<>();
    List<Integer> readySeen = new ArrayList<>();
    List<Double> arrivals = new ArrayList<>();
    int ready = initialReady;
    int desired = initialReady;
    long askedSince = 0;
    for (int t = 0; t < ticks; t++) {
      long now = 1_000_000 + t * TICK_MS;
      double arrival = arrivalAtTick.applyAsDouble(t);
      if (desired < ready) {
        ready = desired; // a drained replica leaves the eligible set at once
      } else if (desired > ready && t - askedSince >= startDelayTicks) {
        ready = desired;
      }
      PhaseSignals s = new PhaseSignals(now, arrival, 1, attainment(arrival, ready), ready);
      if (t % THROUGHPUT_EVERY == 0) {
        c.throughputTick(s);
      }
      Decision d = c.loadTick(s, false);
      if (d.desiredReplicas() != desired) {
        desired = d.desiredReplicas();
        askedSince = t;
      }
      decisions.add(d);
      readySeen.add(ready);
      arrivals.add(arrival);
    }
    return new Run(decisions, readySeen, arrivals);
  }

  static PhaseController controller(int min, int max) {
    return new PhaseController(new Bounds(min, max), PREFILL, SETTINGS);
  }

  @Test
  void steadyLoadBetweenOneAndTwoReplicasNeverOscillates() {
    // 7 req/s: one replica runs 70% busy and meets the SLO; two run 35% each. Removing one of two
    // would leave the survivor at 70% > 60%, so two stay two, and one stays one.
    Run fromTwo = run(controller(1, 8), 2, 3_600, t -> 7.0, 30);
    assertEquals(0, fromTwo.changes());
    assertEquals(2, fromTwo.lastDecision().desiredReplicas());
    assertEquals(Reason.SURVIVORS_WOULD_OVERLOAD, fromTwo.lastDecision().reason());

    Run fromOne = run(controller(1, 8), 1, 3_600, t -> 7.0, 30);
    assertEquals(0, fromOne.changes());
    assertEquals(1, fromOne.lastDecision().desiredReplicas());
    assertEquals(Reason.STEADY, fromOne.lastDecision().reason());
  }

  @Test
  void steadyLoadSettlesOnceAndStays() {
    // 20 req/s needs ceil(20 / 8) = 3 replicas; starting from one, it settles at 3 within the
    // first throughput tick and makes no other change over an hour.
    Run run = run(controller(1, 8), 1, 3_600, t -> 20.0, 30);
    assertEquals(0, run.changes());
    assertEquals(3, run.decisions().getFirst().desiredReplicas());
    assertEquals(Reason.LOAD_FLOOR, run.decisions().getFirst().reason());
    assertEquals(3, run.lastDecision().desiredReplicas());
  }

  @Test
  void risingLoadScalesUpWithoutEverScalingDown() {
    // 4 -> 44 req/s over 20 minutes, then held for 10
    Run run = run(controller(1, 16), 1, 1_800, t -> 4 + 40 * Math.min(1.0, t / 1_200.0), 20);
    for (int i = 1; i < run.decisions().size(); i++) {
      assertTrue(
          run.decisions().get(i).desiredReplicas() >= run.decisions().get(i - 1).desiredReplicas(),
          "scaled down at tick " + i + " while load rose");
    }
    assertEquals(6, run.lastDecision().desiredReplicas()); // ceil(44 / 8)
    assertTrue(attainment(44, run.ready().getLast()) >= 0.9);
  }

  @Test
  void missedSloAddsOneReplicaBeyondTheFloor() {
    // the profile says 8 req/s per replica, but the replicas are slower than the profile and the
    // throughput loop has not run yet: two missed ticks add exactly one
    PhaseController c = controller(1, 8);
    long t0 = 1_000_000;
    assertEquals(Reason.STEADY, c.loadTick(new PhaseSignals(t0, 5, 1, 0.5, 1), false).reason());
    Decision second = c.loadTick(new PhaseSignals(t0 + 40_000, 5, 1, 0.5, 1), false);
    assertEquals(2, second.desiredReplicas());
    assertEquals(Reason.SLO_MISSED, second.reason());
    // still missing while the new replica starts: nothing more is added
    Decision third = c.loadTick(new PhaseSignals(t0 + 41_000, 5, 1, 0.5, 1), false);
    Decision fourth = c.loadTick(new PhaseSignals(t0 + 42_000, 5, 1, 0.5, 1), false);
    assertEquals(2, fourth.desiredReplicas());
    assertEquals(Reason.PENDING, fourth.reason());
    assertEquals(2, third.desiredReplicas());
  }

  @Test
  void fallingLoadStepsDownOneAtATimeOnlyWhenSurvivorsStayUnderThreshold() {
    // 44 -> 4 req/s over 20 minutes from six replicas, then held
    Run run = run(controller(1, 16), 6, 3_600, t -> 44 - 40 * Math.min(1.0, t / 1_200.0), 20);
    int removals = 0;
    for (int i = 1; i < run.decisions().size(); i++) {
      Decision d = run.decisions().get(i);
      int step = d.desiredReplicas() - run.decisions().get(i - 1).desiredReplicas();
      assertTrue(step == 0 || step == -1, "step " + step + " at tick " + i);
      if (step == -1) {
        removals++;
        assertEquals(Reason.SLO_MET, d.reason());
        double survivors = run.arrival().get(i) / (d.desiredReplicas() * 10.0);
        assertTrue(survivors <= 0.6, "survivors at " + survivors + " after tick " + i);
        assertTrue(attainment(run.arrival().get(i), d.desiredReplicas()) >= 0.9);
      }
    }
    assertEquals(5, removals);
    assertEquals(1, run.lastDecision().desiredReplicas());
  }

  @Test
  void podsThatNeverScheduleAreNotPiledUpAndAreGivenUpOn() {
    // overloaded, and no added pod ever becomes ready
    Run run = run(controller(1, 8), 1, 1_200, t -> 30.0, Integer.MAX_VALUE);
    int maxDesired = run.decisions().stream().mapToInt(Decision::desiredReplicas).max().orElse(0);
    // the floor asks for ceil(30 / 8) = 4 at once; nothing is added on top while they pend
    assertEquals(4, maxDesired);
    assertTrue(run.ready().stream().allMatch(r -> r == 1));
    List<Reason> reasons = run.decisions().stream().map(Decision::reason).toList();
    assertTrue(reasons.contains(Reason.PENDING));
    // asked at tick 0, first seen short at tick 1, given up on 180 one-second ticks later
    int timeout = reasons.indexOf(Reason.PENDING_TIMEOUT);
    assertEquals(181, timeout);
    assertEquals(1, run.decisions().get(timeout).desiredReplicas());
    // and asked again only after as long again
    int retry = timeout + 1;
    while (run.decisions().get(retry).desiredReplicas() == 1) {
      assertEquals(Reason.COOL_DOWN, run.decisions().get(retry).reason());
      retry++;
    }
    assertEquals(timeout + 180, retry);
    assertTrue(run.changes() <= 2 * (1_200 / 180 + 1));
  }

  @Test
  void boundsHoldUnderOverloadAndIdleness() {
    Run overloaded = run(controller(2, 3), 2, 600, t -> 100.0, 10);
    assertTrue(overloaded.decisions().stream().allMatch(d -> d.desiredReplicas() <= 3));
    assertEquals(3, overloaded.lastDecision().desiredReplicas());
    assertEquals(Reason.MAX_BOUND, overloaded.lastDecision().reason());

    Run idle = run(controller(2, 3), 3, 1_200, t -> 0.0, 10);
    assertEquals(2, idle.lastDecision().desiredReplicas());
    assertTrue(idle.decisions().stream().allMatch(d -> d.desiredReplicas() >= 2));

    Run belowMin = run(controller(2, 3), 0, 5, t -> 0.0, 1);
    assertEquals(2, belowMin.decisions().getFirst().desiredReplicas());
  }

  @Test
  void newBoundsMoveTheDecisionIntoThem() {
    PhaseController c = controller(1, 8);
    c.loadTick(new PhaseSignals(0, 1, 1, 0.99, 5), false);
    c.bounds(new Bounds(1, 3));
    Decision d = c.loadTick(new PhaseSignals(1000, 1, 1, 0.99, 5), false);
    assertEquals(3, d.desiredReplicas());
    assertEquals(Reason.MAX_BOUND, d.reason());
  }

  @Test
  void pausedKeepsWhatServes() {
    PhaseController c = controller(1, 8);
    c.loadTick(new PhaseSignals(0, 30, 1, 0.4, 2), false);
    for (int t = 1; t <= 100; t++) {
      Decision d = c.loadTick(new PhaseSignals(t * 1000L, 30, 1, 0.4, 2), true);
      assertEquals(2, d.desiredReplicas());
      assertEquals(Reason.PAUSED, d.reason());
    }
  }

  @Test
  void aManualScaleUpIsAdoptedNotReverted() {
    PhaseController c = controller(1, 8);
    c.loadTick(new PhaseSignals(0, 2, 1, 0.99, 1), false);
    Decision d = null;
    for (int t = 1; t <= 200; t++) {
      // someone scaled the pool to 4 by hand; light load
      d = c.loadTick(new PhaseSignals(t * 1000L, 2, 1, 0.95, 4), false);
      assertTrue(d.desiredReplicas() == 1 || d.desiredReplicas() == 4);
    }
    assertEquals(4, d.desiredReplicas());
    assertEquals(Reason.STEADY, d.reason());
  }

  @Test
  void theFloorCountsQueueWait() {
    // 500 ms unqueued prefill against a 1 s TTFT: a replica may be at most 50% busy (M/M/1:
    // 500 / (1 - 0.5) = 1000 ms), so 3 req/s on 2 req/s replicas needs 3, not ceil(3 / 1.6) = 2
    var slow = new ReplicaCapacity(2, 500, 1000, true);
    assertEquals(0.5, slow.maxUtilisation(1, 0.8), 1e-12);
    PhaseController c = new PhaseController(new Bounds(1, 8), slow, SETTINGS);
    assertEquals(3, c.throughputTick(new PhaseSignals(0, 3, 1, Double.NaN, 1)));
    // a batched decode phase meets its TPOT at any batch that fits: only the cap applies
    var decode = new ReplicaCapacity(2, 50, 100, false);
    assertEquals(0.8, decode.maxUtilisation(1, 0.8), 1e-12);
    assertEquals(0, decode.maxUtilisation(3, 0.8), 1e-12); // 150 ms per token > 100 ms
  }

  @Test
  void observedSlowerThanExpectedRaisesTheFloor() {
    PhaseController c = controller(1, 16);
    assertEquals(3, c.throughputTick(new PhaseSignals(0, 20, 1, Double.NaN, 1)));
    // twice as slow: half the rate per replica, and 200 ms unqueued leaves 80% -> still the cap
    assertEquals(5, c.throughputTick(new PhaseSignals(0, 20, 2, Double.NaN, 1)));
    // unknown ratio counts as 1
    assertEquals(3, c.throughputTick(new PhaseSignals(0, 20, Double.NaN, Double.NaN, 1)));
  }
}
