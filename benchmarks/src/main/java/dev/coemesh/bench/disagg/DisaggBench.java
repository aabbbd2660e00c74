package dev.coemesh.bench.disagg;

import dev.coemesh.core.slo.Goodput;
import dev.coemesh.core.slo.Slo;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./mesh bench disagg}: DistServe's experiment on this machine. A stories15M-shape synthetic
 * model serves a Poisson stream of a prompt mix (many short prompts, some long ones) at several
 * rates, (a) colocated on both cores (one colocated replica pinned to each core, requests spread
 * round-robin, as a colocated system scales out) and (b) disaggregated into a prefill process and a
 * decode process pinned to one core each, handing the KV over through a real redis-server. A third
 * mode, one colocated process whose engine uses both cores, is measured as a reference. Reports
 * TTFT/TPOT percentiles, SLO attainment per rate and mode, goodput (the highest rate with at least
 * 90% attainment, interpolated) and the goodput ratio (b)/(a).
 */
public final class DisaggBench {
  private static final Set<String> OPTIONS =
      Set.of(
          "out",
          "rates",
          "duration-s",
          "min-requests",
          "ttft-ms",
          "tpot-ms",
          "level",
          "seed",
          "drain-s",
          "warmup",
          "pin",
          "reference");
  static final String COLOCATED = "colocated";
  static final String DISAGGREGATED = "disaggregated";
  static final String COLOCATED_2_THREADS = "colocated_2_threads";
  private static final Workload MIX =
      new Workload(0.2, new int[] {8, 48}, new int[] {160, 200}, new int[] {16, 48});

  private DisaggBench() {}

  /** One mode at one rate. */
  record RatePoint(double rate, LoadRun.Outcome[] outcomes, double attainment) {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
    Path out = Path.of(args.get("out", "target/bench/disagg.json"));
    double[] rates =
        Arrays.stream(args.get("rates", "2,4,8,16,24,32,40,48").split(","))
            .mapToDouble(Double::parseDouble)
            .toArray();
    Slo slo = new Slo(args.real("ttft-ms", 250), args.real("tpot-ms", 25));
    int level = args.integer("level", 2);
    long seed = args.integer("seed", 7);
    int cores = Runtime.getRuntime().availableProcessors();
    boolean pin = Boolean.parseBoolean(args.get("pin", "true"));
    long started = System.nanoTime();
    // a busy neighbour on these few cores moves every figure: the JSON says how busy it was
    String loadBefore = loadAverage();

    Path dir = Files.createTempDirectory("mesh-bench-disagg");
    Path model = dir.resolve("model.bin");
    Path tokenizer = dir.resolve("tokenizer.bin");
    StringBuilder json = new StringBuilder();
    try (RedisServer redis = RedisServer.startNew()) {
      new SyntheticModel(SyntheticModel.STORIES_15M, 1).writeLlama2c(model, tokenizer);
      Deployment.Target target = new Deployment.Target(model, tokenizer, redis.uri(), level);
      // (a) and (b) of the experiment, then a reference: one colocated process whose engine
      // splits every step over both cores (its threads wait for each other in each parallel
      // section while sharing the cores with gRPC and the client)
      List<String> modes =
          Boolean.parseBoolean(args.get("reference", "true"))
              ? List.of(COLOCATED, DISAGGREGATED, COLOCATED_2_THREADS)
              : List.of(COLOCATED, DISAGGREGATED);
      List<List<RatePoint>> results = new ArrayList<>();
      List<String> setups = new ArrayList<>();
      List<Map<String, Long>> fallbacks = new ArrayList<>();
      List<Deployment> deployments = new ArrayList<>();
      try {
        for (String mode : modes) {
          Deployment d =
              switch (mode) {
                case COLOCATED -> Deployment.colocatedReplicas(target, cores, pin);
                case COLOCATED_2_THREADS -> Deployment.colocated(target, cores);
                default -> Deployment.disaggregated(target, pin);
              };
          deployments.add(d);
          setups.add(d.setup());
          results.add(new ArrayList<>());
          LoadRun.run(
              d.serving(),
              MIX.draw(args.integer("warmup", 24), vocabulary(), seed + 1000),
              4,
              seed + 1000,
              120);
        }
        // modes take turns at each rate, so a neighbour's load that comes and goes during the
        // run lands on every mode alike rather than on whichever ran at that moment
        for (double rate : rates) {
          int count =
              Math.max(
                  args.integer("min-requests", 20),
                  (int) Math.round(rate * args.integer("duration-s", 8)));
          for (int m = 0; m < modes.size(); m++) {
            // the same seed at every rate and mode: the same requests in the same pattern, only
            // closer together, so the rate and the mode are the only things that change
            LoadRun.Outcome[] outcomes =
                LoadRun.run(
                    deployments.get(m).serving(),
                    MIX.draw(count, vocabulary(), seed),
                    rate,
                    seed,
                    args.integer("drain-s", 60));
            RatePoint p = new RatePoint(rate, outcomes, attainment(slo, outcomes));
            results.get(m).add(p);
            System.err.printf(
                Locale.ROOT,
                "%-18s %5.1f req/s  n=%3d  attainment %5.1f%%  ttft p50/p90 %7.1f/%7.1f ms  tpot"
                    + " p50/p90 %6.1f/%6.1f ms%n",
                modes.get(m),
                rate,
                count,
                p.attainment() * 100,
                Stats.percentile(column(outcomes, 0), 50),
                Stats.percentile(column(outcomes, 0), 90),
                Stats.percentile(column(outcomes, 1), 50),
                Stats.percentile(column(outcomes, 1), 90));
          }
        }
        for (Deployment d : deployments) {
          fallbacks.add(d.fallbacks());
        }
      } finally {
        deployments.forEach(Deployment::close);
      }
      double[] goodput = new double[modes.size()];
      for (int m = 0; m < modes.size(); m++) {
        double[] attained = results.get(m).stream().mapToDouble(RatePoint::attainment).toArray();
        goodput[m] = Goodput.crossing(rates, attained, Goodput.DEFAULT_TARGET);
      }
      json.append(
          BenchJson.render(
              cores,
              level,
              slo,
              MIX,
              rates,
              modes,
              setups,
              results,
              fallbacks,
              goodput,
              loadBefore + " -> " + loadAverage(),
              (System.nanoTime() - started) / 1e9));
    } finally {
      Files.deleteIfExists(model);
      Files.deleteIfExists(tokenizer);
      Files.deleteIfExists(dir);
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.out.println(json);
    System.err.println("wrote " + out);
    System.exit(0);
  }

  /** The 1, 5 and 15 minute load averages, or "unknown" off Linux. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static int vocabulary() {
    return SyntheticModel.STORIES_15M.vocabSize();
  }

  static double attainment(Slo slo, LoadRun.Outcome[] outcomes) {
    return slo.attainment(column(outcomes, 0), column(outcomes, 1));
  }

  /** 0 TTFT, 1 TPOT, 2 KV encode, 3 KV transfer, 4 KV decode. */
  static double[] column(LoadRun.Outcome[] outcomes, int which) {
    double[] out = new double[outcomes.length];
    for (int i = 0; i < out.length; i++) {
      LoadRun.Outcome o = outcomes[i];
      out[i] =
          switch (which) {
            case 0 -> o.ttftMs();
            case 1 -> o.tpotMs();
            case 2 -> o.kvEncodeMs();
            case 3 -> o.kvTransferMs();
            default -> o.kvDecodeMs();
          };
    }
    return out;
  }
}
