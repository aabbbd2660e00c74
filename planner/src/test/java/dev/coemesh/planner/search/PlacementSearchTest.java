package dev.coemesh.planner.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.sim.BatchLimits;
import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.KvHandoff;
import dev.coemesh.planner.sim.Placement;
import dev.coemesh.planner.sim.Slo;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The search with DistServe's OPT-13B coefficients and an A100's KV capacity on the four built-in
 * workloads (budget 3, 800-request probes with warm-up and drain trimmed: short enough for a unit
 * test, long enough to rank the placements).
 */
class PlacementSearchTest {
  private static final Engine OPT13B =
      new Engine(
          QuadraticLatencyModel.opt13bTp1A100(),
          BatchLimits.distServe().withKvCapacity(BatchLimits.opt13bA100KvTokens()),
          KvHandoff.free());
  private static final SearchSettings SETTINGS = new SearchSettings(800, 0, 32, 0.5, 0.9, 0.1);
  private static final Map<BuiltinWorkload, SearchResult> RESULTS =
      new EnumMap<>(BuiltinWorkload.class);

  @BeforeAll
  static void searchEveryWorkload() {
    for (BuiltinWorkload workload : BuiltinWorkload.values()) {
      RESULTS.put(workload, search(workload));
    }
  }

  @Test
  void candidatesAreEveryColocatedCountAndEverySplitWithinTheBudget() {
    assertEquals(
        "[colocated(1), colocated(2), colocated(3), disaggregated(1P+1D), disaggregated(1P+2D),"
            + " disaggregated(2P+1D)]",
        PlacementSearch.candidates(3).toString());
  }

  @ParameterizedTest
  @EnumSource(BuiltinWorkload.class)
  void thePlanIsAtLeastAsGoodPerReplicaAsTheBetterPurePlacement(BuiltinWorkload workload) {
    SearchResult result = RESULTS.get(workload);
    double colocated = bestOf(result, Placement.Colocated.class);
    double disaggregated = bestOf(result, Placement.Disaggregated.class);
    assertTrue(colocated > 0 && disaggregated > 0, workload + ": " + result.scores());
    assertTrue(
        result.best().goodputPerReplica() >= Math.max(colocated, disaggregated),
        workload + ": " + result.best());
  }

  @ParameterizedTest
  @EnumSource(BuiltinWorkload.class)
  void thePlanSizedForARateMeetsTheSloThere(BuiltinWorkload workload) {
    SearchResult result = RESULTS.get(workload);
    PlacementSearch search = new PlacementSearch(OPT13B, SETTINGS);
    // twice what the best unit carries: the plan needs at least two copies of it
    double rate = 2 * result.best().goodput();
    Plan plan =
        search
            .size(result.best(), workload.mix(), workload.arrivals(), workload.slo(), rate, 4)
            .orElseThrow();
    assertTrue(plan.attainment() >= 0.9, workload + ": " + plan);
    assertTrue(plan.placement().replicas() >= 2 * result.best().placement().replicas());
  }

  @Test
  void longPromptsWithATightTtftWantAtLeastAsManyPrefillAsDecodeReplicas() {
    Placement.Disaggregated bestSplit =
        (Placement.Disaggregated)
            RESULTS.get(BuiltinWorkload.SUMMARIZATION).scores().stream()
                .filter(s -> s.placement() instanceof Placement.Disaggregated)
                .max(Comparator.comparingDouble(PlacementScore::goodput))
                .orElseThrow()
                .placement();
    assertTrue(bestSplit.prefill() >= bestSplit.decode(), bestSplit.toString());
  }

  @Test
  void theSearchIsDeterministicAndItsGoodputMeetsTheTarget() {
    BuiltinWorkload workload = BuiltinWorkload.CODE;
    assertEquals(RESULTS.get(workload), search(workload));
    PlacementScore best = RESULTS.get(workload).best();
    double attainment =
        new PlacementSearch(OPT13B, SETTINGS)
            .attainment(
                best.placement(),
                workload.mix(),
                workload.arrivals(),
                workload.slo(),
                best.goodput());
    assertTrue(attainment >= 0.9, "attainment at the goodput: " + attainment);
  }

  @Test
  void tiesGoToFewerReplicas() {
    // With a 1 req/s-per-replica ceiling and an SLO nothing misses, every placement saturates the
    // search at the same per-replica goodput (0.75: the last passing midpoint).
    SearchResult result =
        new PlacementSearch(OPT13B, new SearchSettings(50, 0, 1, 0.25, 0.9))
            .search(3, BuiltinWorkload.CODE.mix(), new Slo(1e9, 1e9));
    assertEquals(new Placement.Colocated(1), result.best().placement());
    assertEquals(0.75, result.best().goodputPerReplica(), 1e-12);
  }

  private static double bestOf(SearchResult result, Class<? extends Placement> kind) {
    return result.scores().stream()
        .filter(s -> kind.isInstance(s.placement()))
        .mapToDouble(PlacementScore::goodputPerReplica)
        .max()
        .orElseThrow();
  }

  private static SearchResult search(BuiltinWorkload workload) {
    return new PlacementSearch(OPT13B, SETTINGS)
        .search(3, workload.mix(), workload.arrivals(), workload.slo());
  }
}
