package dev.coemesh.planner.control;

import java.util.Objects;

/**
 * The run-time planner of one phase of one expert (ALGORITHMS.md §2, issue 17): two loops over one
 * decision.
 *
 * <ul>
 *   <li>The <b>throughput loop</b> ({@link #throughputTick}, every few minutes) sets the floor: the
 *       replicas the predicted arrival rate needs at the utilisation that still meets the
 *       objective, queue wait included, with the replica's capacity corrected by the ratio of
 *       observed to expected latency ({@link ReplicaCapacity}).
 *   <li>The <b>load loop</b> ({@link #loadTick}, every few seconds) adds one replica after SLO
 *       attainment stayed below target for a few ticks, and removes one after it stayed comfortable
 *       for longer, never below the floor.
 * </ul>
 *
 * <p>Guards against the known failures of other planners:
 *
 * <ul>
 *   <li>2 ↔ 1 oscillation (ai-dynamo/dynamo#9294): a replica is removed only when the survivors'
 *       predicted utilisation, with the removed replica's share of the load, stays at or under
 *       {@link ControlSettings#scaleDownUtilisation()}, below the utilisation the floor is sized
 *       for; removals need many more comfortable ticks than additions need missed ones, and a
 *       longer cool-down.
 *   <li>Pending pods (dynamo#14251): only ready replicas count. While fewer serve than were asked
 *       for, nothing is added; if they stay short past {@link ControlSettings#pendingTimeoutMs()},
 *       the decision falls back to the ready count instead of waiting for ever, and asks again only
 *       after as long again.
 *   <li>Manual edits (dynamo#4420): the Expert's bounds hold over every decision; a pause keeps the
 *       replicas that serve; more replicas serving than asked for, past the same timeout, are
 *       adopted rather than scaled back.
 * </ul>
 *
 * <p>Thread-safe; the two loops may tick from different threads.
 */
public final class PhaseController {
  private final ReplicaCapacity capacity;
  private final ControlSettings settings;
  private Bounds bounds;
  private int desired = -1; // before the first load tick
  private int floor;
  private long lastChangeMs;
  private long mismatchSinceMs = -1;
  private long gaveUpAtMs = Long.MIN_VALUE / 2;
  private int missTicks;
  private int comfortTicks;
  private Decision last;

  public PhaseController(Bounds bounds, ReplicaCapacity capacity, ControlSettings settings) {
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    this.capacity = Objects.requireNonNull(capacity, "capacity");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.floor = bounds.min();
  }

  /** New bounds (the Expert's spec changed); the next load tick moves the decision into them. */
  public synchronized void bounds(Bounds bounds) {
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    this.floor = bounds.clamp(floor);
  }

  /**
   * The throughput loop: the floor for the predicted load.
   *
   * @return the new floor, within the bounds
   */
  public synchronized int throughputTick(PhaseSignals s) {
    double perReplica = capacity.sustainableRps(s.latencyRatio(), settings.maxUtilisation());
    int needed =
        perReplica > 0 ? (int) Math.ceil(s.arrivalRps() / perReplica - 1e-9) : bounds.max();
    floor = bounds.clamp(needed);
    return floor;
  }

  /**
   * The load loop: one step at most.
   *
   * @param paused whether the Expert pauses the planner; the replicas that serve are kept
   */
  public synchronized Decision loadTick(PhaseSignals s, boolean paused) {
    long now = s.nowMs();
    int ready = s.readyReplicas();
    if (desired < 0) {
      desired = bounds.clamp(ready);
      lastChangeMs = now;
    }
    if (paused) {
      missTicks = 0;
      comfortTicks = 0;
      mismatchSinceMs = -1;
      if (ready != desired) {
        desired = ready;
        lastChangeMs = now;
      }
      return decided(Reason.PAUSED);
    }
    countTicks(s);
    if (desired < bounds.min()) {
      return change(bounds.min(), Reason.MIN_BOUND, now);
    }
    if (desired > bounds.max()) {
      return change(bounds.max(), Reason.MAX_BOUND, now);
    }
    if (ready == desired) {
      mismatchSinceMs = -1;
    } else if (mismatchSinceMs < 0) {
      mismatchSinceMs = now;
    } else if (now - mismatchSinceMs >= settings.pendingTimeoutMs()) {
      mismatchSinceMs = -1;
      Reason why = ready < desired ? Reason.PENDING_TIMEOUT : Reason.ADOPTED;
      if (why == Reason.PENDING_TIMEOUT) {
        gaveUpAtMs = now;
      }
      return change(bounds.clamp(ready), why, now);
    }

    if (missTicks >= settings.missTicksToScaleUp() || floor > desired) {
      boolean slo = missTicks >= settings.missTicksToScaleUp();
      int want = slo ? Math.max(desired + 1, floor) : floor;
      if (ready < desired) {
        return decided(Reason.PENDING);
      }
      if (desired >= bounds.max()) {
        return decided(Reason.MAX_BOUND);
      }
      if (slo && now - lastChangeMs < settings.scaleUpCooldownMs()
          || now - gaveUpAtMs < settings.pendingTimeoutMs()) {
        return decided(Reason.COOL_DOWN);
      }
      missTicks = 0;
      return change(bounds.clamp(want), slo ? Reason.SLO_MISSED : Reason.LOAD_FLOOR, now);
    }
    if (comfortTicks >= settings.comfortTicksToScaleDown()
        && desired > Math.max(floor, bounds.min())) {
      if (ready > desired) {
        return decided(Reason.PENDING); // the last removal is still draining
      }
      double survivors = capacity.utilisation(s.arrivalRps(), desired - 1, s.latencyRatio());
      if (survivors > settings.scaleDownUtilisation()) {
        return decided(Reason.SURVIVORS_WOULD_OVERLOAD);
      }
      if (now - lastChangeMs < settings.scaleDownCooldownMs()) {
        return decided(Reason.COOL_DOWN);
      }
      comfortTicks = 0;
      return change(desired - 1, Reason.SLO_MET, now);
    }
    return decided(ready < desired ? Reason.PENDING : Reason.STEADY);
  }

  /** The last decision, or null before the first load tick. */
  public synchronized Decision last() {
    return last;
  }

  private void countTicks(PhaseSignals s) {
    double a = s.attainment();
    if (Double.isNaN(a)) {
      // no request finished in the window: nothing was missed, nothing proves the pool is needed
      missTicks = 0;
      comfortTicks++;
    } else if (a < settings.attainmentTarget()) {
      missTicks++;
      comfortTicks = 0;
    } else if (a >= settings.comfortableAttainment()) {
      comfortTicks++;
      missTicks = 0;
    } else {
      missTicks = 0;
      comfortTicks = 0;
    }
  }

  private Decision change(int replicas, Reason reason, long now) {
    if (replicas != desired) {
      desired = replicas;
      lastChangeMs = now;
      mismatchSinceMs = -1;
    }
    return decided(reason);
  }

  private Decision decided(Reason reason) {
    last = new Decision(desired, reason, floor, lastChangeMs);
    return last;
  }
}
