package dev.coemesh.planner.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.sim.BatchLimits;
import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.KvHandoff;
import dev.coemesh.planner.sim.Placement;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/** The search with DistServe's OPT-13B coefficients on the built-in workloads (budget 4). */
class PlacementSearchTest {
  private static final Engine OPT13B =
      new Engine(QuadraticLatencyModel.opt13bTp1A100(), BatchLimits.distServe(), KvHandoff.free());
  private static final SearchSettings SETTINGS = new SearchSettings(300, 0, 32, 0.25, 0.9);

  @Test
  void candidatesAreEveryColocatedCountAndEverySplitWithinTheBudget() {
    assertEquals(
        "[colocated(1), colocated(2), colocated(3), disaggregated(1P+1D), disaggregated(1P+2D),"
            + " disaggregated(2P+1D)]",
        PlacementSearch.candidates(3).toString());
  }

  @Test
  void longPromptsWithATightTtftWantMorePrefillThanDecodeReplicas() {
    SearchResult result = search(BuiltinWorkload.SUMMARIZATION);
    PlacementScore bestSplit =
        result.scores().stream()
            .filter(s -> s.placement() instanceof Placement.Disaggregated)
            .max(Comparator.comparingDouble(PlacementScore::goodput))
            .orElseThrow();
    assertEquals(new Placement.Disaggregated(3, 1), bestSplit.placement());
    assertEquals(new Placement.Colocated(3), result.best().placement());
  }

  @Test
  void chatbotMixOnOpt13bFavoursColocationPerReplica() {
    SearchResult result = search(BuiltinWorkload.CHATBOT);
    assertInstanceOf(Placement.Colocated.class, result.best().placement());
    double bestSplitPerReplica =
        result.scores().stream()
            .filter(s -> s.placement() instanceof Placement.Disaggregated)
            .mapToDouble(PlacementScore::goodputPerReplica)
            .max()
            .orElseThrow();
    assertTrue(
        result.best().goodputPerReplica() > bestSplitPerReplica,
        result.best() + " vs " + bestSplitPerReplica);
  }

  @Test
  void theSearchIsDeterministicAndItsGoodputMeetsTheTarget() {
    BuiltinWorkload workload = BuiltinWorkload.CODE;
    SearchResult first = search(workload);
    assertEquals(first, search(workload));
    PlacementScore best = first.best();
    double attainment =
        new PlacementSearch(OPT13B, SETTINGS)
            .attainment(best.placement(), workload.mix(), workload.slo(), best.goodput());
    assertTrue(attainment >= 0.9, "attainment at the goodput: " + attainment);
  }

  @Test
  void tiesGoToFewerReplicas() {
    // With a 1 req/s-per-replica ceiling and an SLO nothing misses, every placement saturates the
    // search at the same per-replica goodput (0.75: the last passing midpoint).
    SearchResult result =
        new PlacementSearch(OPT13B, new SearchSettings(50, 0, 1, 0.25, 0.9))
            .search(3, BuiltinWorkload.CODE.mix(), new dev.coemesh.planner.sim.Slo(1e9, 1e9));
    assertEquals(new Placement.Colocated(1), result.best().placement());
    assertEquals(0.75, result.best().goodputPerReplica(), 1e-12);
  }

  private static SearchResult search(BuiltinWorkload workload) {
    return new PlacementSearch(OPT13B, SETTINGS).search(4, workload.mix(), workload.slo());
  }
}
