package dev.coemesh.planner.search;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.sim.BatchLimits;
import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.KvHandoff;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Runs the placement search on a built-in workload with DistServe's OPT-13B coefficients, an
 * A100-80G's KV capacity and free KV transfer, and prints one JSON line. Usage: {@code PlannerMain
 * WORKLOAD [REPLICA_BUDGET [REQUESTS]]} (defaults 4 and 3000 steady-state requests per probe, the
 * first and last 10% not judged).
 */
public final class PlannerMain {
  private PlannerMain() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 3) {
      System.err.println(
          "usage: PlannerMain chatbot|summarization|code|diurnal [replica-budget=4 [requests=3000]]");
      System.exit(2);
    }
    BuiltinWorkload workload = BuiltinWorkload.valueOf(args[0].toUpperCase(Locale.ROOT));
    int budget = args.length >= 2 ? Integer.parseInt(args[1]) : 4;
    int requests = args.length == 3 ? Integer.parseInt(args[2]) : 3000;
    Engine engine =
        new Engine(
            QuadraticLatencyModel.opt13bTp1A100(),
            BatchLimits.distServe().withKvCapacity(BatchLimits.opt13bA100KvTokens()),
            KvHandoff.free());
    SearchResult result =
        new PlacementSearch(engine, new SearchSettings(requests, 0, 32, 0.25, 0.9, 0.1))
            .search(budget, workload.mix(), workload.arrivals(), workload.slo());
    System.out.println(toJson(workload, budget, requests, result));
  }

  static String toJson(BuiltinWorkload workload, int budget, int requests, SearchResult result) {
    StringJoiner scores = new StringJoiner(",", "[", "]");
    for (PlacementScore score : result.scores()) {
      scores.add(scoreJson(score));
    }
    return String.format(
        Locale.ROOT,
        "{\"workload\":\"%s\",\"replica_budget\":%d,\"requests\":%d,\"best\":%s,\"placements\":%s}",
        workload.name().toLowerCase(Locale.ROOT),
        budget,
        requests,
        scoreJson(result.best()),
        scores);
  }

  private static String scoreJson(PlacementScore score) {
    return String.format(
        Locale.ROOT,
        "{\"placement\":\"%s\",\"replicas\":%d,\"goodput\":%.4f,\"goodput_per_replica\":%.4f}",
        score.placement(),
        score.placement().replicas(),
        score.goodput(),
        score.goodputPerReplica());
  }
}
