package dev.coemesh.planner.control;

/**
 * The planner's thresholds. Times are milliseconds.
 *
 * @param attainmentTarget SLO attainment below this is a miss (DistServe's 0.9)
 * @param comfortableAttainment attainment at or above this lets a phase shrink
 * @param maxUtilisation the throughput loop sizes replicas to run at most this busy
 * @param scaleDownUtilisation a replica is removed only if the survivors' predicted utilisation
 *     stays at or below this (below {@code maxUtilisation}: the hysteresis band)
 * @param missTicksToScaleUp consecutive load-loop ticks below target before adding a replica
 * @param comfortTicksToScaleDown consecutive comfortable ticks before removing one
 * @param scaleUpCooldownMs after any change, how long before the next addition
 * @param scaleDownCooldownMs after any change, how long before the next removal
 * @param pendingTimeoutMs how long asked-for replicas may stay unready before the planner stops
 *     waiting for them and plans with the ready ones
 */
public record ControlSettings(
    double attainmentTarget,
    double comfortableAttainment,
    double maxUtilisation,
    double scaleDownUtilisation,
    int missTicksToScaleUp,
    int comfortTicksToScaleDown,
    long scaleUpCooldownMs,
    long scaleDownCooldownMs,
    long pendingTimeoutMs) {

  public ControlSettings {
    if (!(attainmentTarget > 0 && attainmentTarget <= comfortableAttainment)
        || comfortableAttainment > 1) {
      throw new IllegalArgumentException(
          "need 0 < attainmentTarget <= comfortableAttainment <= 1: " + this);
    }
    if (!(scaleDownUtilisation > 0 && scaleDownUtilisation < maxUtilisation)
        || maxUtilisation > 1) {
      throw new IllegalArgumentException(
          "need 0 < scaleDownUtilisation < maxUtilisation <= 1: " + this);
    }
    if (missTicksToScaleUp < 1 || comfortTicksToScaleDown < 1) {
      throw new IllegalArgumentException("tick counts must be >= 1: " + this);
    }
    if (scaleUpCooldownMs < 0 || scaleDownCooldownMs < 0 || pendingTimeoutMs <= 0) {
      throw new IllegalArgumentException("cool-downs >= 0 and a pending timeout > 0: " + this);
    }
  }

  /**
   * The defaults: 90% target, shrink at 97%; replicas at most 80% busy and removed only if the
   * survivors stay at or under 60%; two missed ticks to grow, ten comfortable ones to shrink; 30 s
   * after a change before growing again, 5 min before shrinking; pods pending for 5 min are given
   * up on.
   */
  public static ControlSettings defaults() {
    return new ControlSettings(0.9, 0.97, 0.8, 0.6, 2, 10, 30_000, 300_000, 300_000);
  }
}
