package dev.coemesh.planner.control;

/** The replicas a phase may have, the Expert's {@code spec.replicas.<phase>}. */
public record Bounds(int min, int max) {
  public Bounds {
    if (min < 0 || max < 1 || min > max) {
      throw new IllegalArgumentException("replica bounds need 0 <= min <= max, 1 <= max: " + this);
    }
  }

  public int clamp(int replicas) {
    return Math.max(min, Math.min(max, replicas));
  }
}
