package dev.coemesh.planner.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.planner.sim.Placement;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerMainTest {

  @Test
  void theJsonLineNamesTheBestAndEveryCandidate() {
    PlacementScore colocated = new PlacementScore(new Placement.Colocated(2), 9);
    PlacementScore split = new PlacementScore(new Placement.Disaggregated(1, 1), 5);
    String json =
        PlannerMain.toJson(
            BuiltinWorkload.CHATBOT,
            2,
            300,
            new SearchResult(colocated, List.of(colocated, split)));
    assertEquals(
        "{\"workload\":\"chatbot\",\"replica_budget\":2,\"requests\":300,\"best\":"
            + "{\"placement\":\"colocated(2)\",\"replicas\":2,\"goodput\":9.0000,\"goodput_per_replica\":4.5000},"
            + "\"placements\":[{\"placement\":\"colocated(2)\",\"replicas\":2,\"goodput\":9.0000,"
            + "\"goodput_per_replica\":4.5000},{\"placement\":\"disaggregated(1P+1D)\",\"replicas\":2,"
            + "\"goodput\":5.0000,\"goodput_per_replica\":2.5000}]}",
        json);
  }
}
