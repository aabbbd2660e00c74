package dev.coemesh.bench.planner;

import dev.coemesh.planner.latency.LatencyModel;
import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.search.BuiltinWorkload;
import dev.coemesh.planner.search.PlacementScore;
import dev.coemesh.planner.search.PlacementSearch;
import dev.coemesh.planner.search.Plan;
import dev.coemesh.planner.search.SearchResult;
import dev.coemesh.planner.search.SearchSettings;
import dev.coemesh.planner.sim.BatchLimits;
import dev.coemesh.planner.sim.ColocatedPolicy;
import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.KvHandoff;
import dev.coemesh.planner.sim.Placement;
import dev.coemesh.planner.workload.Request;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.profile.LatencyProfile;
import dev.coemesh.pool.profile.ProfileMain;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * {@code ./mesh bench planner}: the placement search on the four workloads (chatbot, summarization,
 * code, diurnal) with two profiles, and the simulator's calibration against the real mesh.
 *
 * <ol>
 *   <li>GPU class: DistServe's OPT-13B TP1 A100 coefficients, an A100's KV capacity, free KV
 *       transfer, prefill-first colocated scheduling (the vLLM baseline).
 *   <li>Measured: the stories15M-shape synthetic model profiled on this machine with one engine
 *       thread (or {@code --profile FILE}), the workers' batch limits, mixed colocated steps (as
 *       the workers run them) and the KV handoff measured on the real workers.
 * </ol>
 *
 * Per workload it reports goodput per replica of the best colocated count, the best split and the
 * planner's choice (budget {@code --budget}), the steady-state attainment of the planner's plan
 * sized for twice the best unit's goodput, and (with the measured profile) the calibration error of
 * TTFT/TPOT p50/p90 for colocated(1) and 1P+1D on real workers at the same stream. {@code
 * --calibrate false} skips the real runs; the calibration keys are then null.
 */
public final class PlannerBench {
  private static final Set<String> OPTIONS =
      Set.of(
          "out",
          "budget",
          "requests",
          "profile",
          "profile-seconds",
          "calibrate",
          "calibration-seconds",
          "level",
          "seed");
  private static final long WORKER_KV_TOKENS = 1024L * 16; // WorkerServer's --kv-blocks x 16
  private static final BatchLimits WORKER_LIMITS =
      new BatchLimits(32, 512, Long.MAX_VALUE, WORKER_KV_TOKENS); // --max-running, --prefill-chunk

  private PlannerBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
    Path out = Path.of(args.get("out", "target/bench/planner.json"));
    int budget = args.integer("budget", 4);
    int requests = args.integer("requests", 3000);
    long seed = args.integer("seed", 0);
    boolean calibrate = Boolean.parseBoolean(args.get("calibrate", "true"));
    long started = System.nanoTime();
    String loadBefore = loadAverage();

    // 1. GPU class
    Engine opt13b =
        new Engine(
            QuadraticLatencyModel.opt13bTp1A100(),
            BatchLimits.distServe().withKvCapacity(BatchLimits.opt13bA100KvTokens()),
            KvHandoff.free(),
            ColocatedPolicy.PREFILL_FIRST);
    SearchSettings settings = new SearchSettings(requests, seed, 32, 0.25, 0.9, 0.1);
    Map<String, String> gpu = new LinkedHashMap<>();
    for (BuiltinWorkload builtin : BuiltinWorkload.values()) {
      BenchWorkload w = BenchWorkload.of(builtin);
      gpu.put(w.name(), planJson(opt13b, settings, budget, w));
      System.err.println("opt13b " + w.name() + " " + gpu.get(w.name()));
    }

    // 2. measured profile of the synthetic model, and calibration on real workers
    Path dir = Files.createTempDirectory("mesh-bench-planner");
    Path model = dir.resolve("model.bin");
    Path tokenizer = dir.resolve("tokenizer.bin");
    Map<String, String> measured = new LinkedHashMap<>();
    Map<String, String> calibration = new LinkedHashMap<>();
    Map<String, Percentiles> calibrationError = new LinkedHashMap<>();
    String profileSource;
    String handoffJson = "null";
    try {
      new SyntheticModel(SyntheticModel.STORIES_15M, 1).writeLlama2c(model, tokenizer);
      LatencyProfile profile;
      String profileArg = args.get("profile", null);
      if (profileArg != null) {
        profile = LatencyProfile.read(Path.of(profileArg));
        profileSource = profileArg;
      } else {
        profile =
            ProfileMain.profile(
                new ProfileMain.Settings(
                    "synthetic-stories15m",
                    model,
                    tokenizer,
                    1,
                    args.real("profile-seconds", 20),
                    WORKER_LIMITS.maxBatchSize(),
                    WORKER_LIMITS.maxPrefillTokens()));
        Path written = Path.of("target/profiles/synthetic-stories15m.json");
        profile.write(written);
        profileSource = "measured now, 1 engine thread: " + written;
      }
      LatencyModel latency = ProfileLatency.of(profile);
      SearchSettings small = new SearchSettings(Math.min(requests, 1500), seed, 64, 0.5, 0.9, 0.1);
      Engine noHandoff =
          new Engine(latency, WORKER_LIMITS, KvHandoff.free(), ColocatedPolicy.MIXED);
      KvHandoff handoff = KvHandoff.free();
      Calibration real = null;
      try {
        if (calibrate) {
          BenchWorkload chat = BenchWorkload.small(BuiltinWorkload.CHATBOT, latency);
          List<Request> warmup = chat.arrivals().generate(chat.mix(), 4, 24, seed + 1000);
          real = Calibration.start(model, tokenizer, args.integer("level", 2), warmup);
          handoff = real.handoff();
          handoffJson =
              String.format(
                  Locale.ROOT,
                  "{\"encode\":%s,\"transfer\":%s,\"decode\":%s}",
                  stageJson(handoff.encode()),
                  stageJson(new KvHandoff.Stage(handoff.fixedMs(), handoff.bytesPerToken())),
                  stageJson(handoff.decode()));
        }
        Engine engine = new Engine(latency, WORKER_LIMITS, handoff, ColocatedPolicy.MIXED);
        for (BuiltinWorkload builtin : BuiltinWorkload.values()) {
          BenchWorkload w = BenchWorkload.small(builtin, latency);
          measured.put(w.name(), planJson(engine, small, budget, w));
          System.err.println("measured " + w.name() + " " + measured.get(w.name()));
          if (real != null) {
            // the stream runs at 70% of what colocated(1) sustains in simulation, so both real
            // placements are loaded but neither is far past its knee
            PlacementSearch search = new PlacementSearch(noHandoff, small);
            double sustained =
                search.score(Calibration.COLOCATED, w.mix(), w.arrivals(), w.slo()).goodput();
            double rate = sustained > 0 ? 0.7 * sustained : 1;
            int count = Math.max(40, (int) Math.round(rate * args.real("calibration-seconds", 12)));
            List<Request> stream = w.arrivals().generate(w.mix(), rate, count, seed + 7);
            List<Calibration.Run> runs = new ArrayList<>();
            for (Placement placement : List.of(Calibration.COLOCATED, Calibration.DISAGGREGATED)) {
              Calibration.Run run = real.run(placement, stream, engine, seed + 7);
              runs.add(run);
              System.err.println(
                  "calibration "
                      + w.name()
                      + " "
                      + placement
                      + " measured "
                      + run.measured()
                      + " simulated "
                      + run.simulated());
            }
            calibration.put(w.name(), calibrationJson(rate, runs));
            calibrationError.put(w.name(), worst(runs));
          }
        }
      } finally {
        if (real != null) {
          real.close();
        }
      }
    } finally {
      Files.deleteIfExists(model);
      Files.deleteIfExists(tokenizer);
      Files.deleteIfExists(dir);
    }

    StringJoiner workloads = new StringJoiner(",", "{", "}");
    for (String name : gpu.keySet()) {
      String cal = calibration.get(name);
      workloads.add(
          "\""
              + name
              + "\":"
              + gpu.get(name).substring(0, gpu.get(name).length() - 1)
              + ",\"calibration_error\":"
              + (cal == null
                  ? new Percentiles(Double.NaN, Double.NaN, Double.NaN, Double.NaN).json()
                  : calibrationError.get(name).json())
              + ",\"measured_profile\":"
              + measured.get(name)
              + ",\"calibration\":"
              + (cal == null ? "null" : cal)
              + "}");
    }
    String json =
        String.format(
            Locale.ROOT,
            "{\"bench\":\"planner\",\"replica_budget\":%d,\"requests_per_probe\":%d,"
                + "\"profiles\":{\"gpu\":\"published: DistServe OPT-13B TP1 A100-80G"
                + " (ALGORITHMS.md 2.2), KV capacity %d tokens, free KV transfer, prefill-first"
                + " colocated steps\",\"measured\":\"%s; mixed colocated steps; worker limits"
                + " 32 running, 512 prompt tokens per step, %d KV tokens\"},"
                + "\"measured_kv_handoff\":%s,\"calibrated\":%s,\"workloads\":%s,"
                + "\"load_average\":\"%s -> %s\",\"seconds\":%.1f}%n",
            budget,
            requests,
            BatchLimits.opt13bA100KvTokens(),
            profileSource.replace("\"", "'"),
            WORKER_KV_TOKENS,
            handoffJson,
            calibrate,
            workloads,
            loadBefore,
            loadAverage(),
            (System.nanoTime() - started) / 1e9);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.out.print(json);
    System.err.println("wrote " + out);
    System.exit(0);
  }

  /**
   * The search's answer as JSON: goodput per replica of the best colocated count, the best split
   * and the planner's choice, and the attainment of the plan sized for twice the best unit.
   */
  private static String planJson(
      Engine engine, SearchSettings settings, int budget, BenchWorkload w) {
    PlacementSearch search = new PlacementSearch(engine, settings);
    SearchResult result = search.search(budget, w.mix(), w.arrivals(), w.slo());
    PlacementScore colocated = bestOf(result, Placement.Colocated.class);
    PlacementScore split = bestOf(result, Placement.Disaggregated.class);
    PlacementScore best = result.best();
    double rate = 2 * best.goodput();
    Plan plan =
        search
            .size(best, w.mix(), w.arrivals(), w.slo(), rate, 8)
            .orElse(new Plan(best.placement(), rate, Double.NaN));
    StringJoiner all = new StringJoiner(",", "{", "}");
    for (PlacementScore s : result.scores()) {
      all.add(String.format(Locale.ROOT, "\"%s\":%.4f", s.placement(), s.goodputPerReplica()));
    }
    return String.format(
        Locale.ROOT,
        "{\"slo\":{\"ttft_ms\":%.1f,\"tpot_ms\":%.1f},\"goodput_per_replica\":{\"colocated\":%.4f,"
            + "\"disaggregated\":%.4f,\"planner\":%.4f},\"placements\":{\"colocated\":\"%s\","
            + "\"disaggregated\":\"%s\",\"planner\":\"%s\"},\"slo_attainment\":%s,"
            + "\"plan\":{\"rate\":%.4f,\"placement\":\"%s\"},\"every_placement\":%s}",
        w.slo().ttftMs(),
        w.slo().tpotMs(),
        colocated.goodputPerReplica(),
        split.goodputPerReplica(),
        best.goodputPerReplica(),
        colocated.placement(),
        split.placement(),
        best.placement(),
        Percentiles.num(plan.attainment()),
        rate,
        plan.placement(),
        all);
  }

  private static PlacementScore bestOf(SearchResult result, Class<? extends Placement> kind) {
    PlacementScore best = null;
    for (PlacementScore s : result.scores()) {
      if (kind.isInstance(s.placement())
          && (best == null || s.goodputPerReplica() > best.goodputPerReplica())) {
        best = s;
      }
    }
    return best;
  }

  private static String calibrationJson(double rate, List<Calibration.Run> runs) {
    StringJoiner each = new StringJoiner(",", "{", "}");
    for (Calibration.Run run : runs) {
      each.add(
          String.format(
              Locale.ROOT,
              "\"%s\":{\"requests\":%d,\"failed\":%d,\"measured_ms\":%s,\"simulated_ms\":%s,"
                  + "\"error\":%s}",
              run.placement(),
              run.requests(),
              run.failed(),
              run.measured().json(),
              run.simulated().json(),
              run.error().json()));
    }
    return String.format(Locale.ROOT, "{\"rate\":%.4f,\"runs\":%s}", rate, each);
  }

  private static String stageJson(KvHandoff.Stage stage) {
    return String.format(
        Locale.ROOT,
        "{\"fixed_ms\":%.4f,\"ms_per_prompt_token\":%.6f}",
        stage.fixedMs(),
        stage.msPerToken());
  }

  /** Per percentile, the larger error of the two placements. */
  private static Percentiles worst(List<Calibration.Run> runs) {
    Percentiles worst = runs.getFirst().error();
    for (Calibration.Run run : runs) {
      worst = worst.max(run.error());
    }
    return worst;
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
