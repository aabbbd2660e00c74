package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Placement;

/**
 * The highest arrival rate (req/s) at which a placement met the attainment target, or 0 when even
 * the lowest probed rate missed it.
 */
public record PlacementScore(Placement placement, double goodput) {
  public double goodputPerReplica() {
    return goodput / placement.replicas();
  }
}
