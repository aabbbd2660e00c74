package dev.coemesh.planner.control;

import java.util.Objects;

/**
 * The replicas the planner asks one phase to run.
 *
 * @param lastChangeMs when {@code desiredReplicas} last changed (epoch ms); 0 before any change
 */
public record Decision(int desiredReplicas, Reason reason, int floor, long lastChangeMs) {
  public Decision {
    Objects.requireNonNull(reason, "reason");
    if (desiredReplicas < 0 || floor < 0) {
      throw new IllegalArgumentException("negative replicas: " + desiredReplicas + ", " + floor);
    }
  }
}
