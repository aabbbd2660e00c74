package dev.coemesh.planner.search;

import dev.coemesh.planner.sim.Placement;

/**
 * A placement sized for a target rate and the steady-state SLO attainment it reached there in
 * simulation.
 */
public record Plan(Placement placement, double ratePerSecond, double attainment) {}
