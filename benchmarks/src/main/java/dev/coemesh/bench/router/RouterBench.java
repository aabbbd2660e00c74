package dev.coemesh.bench.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteReason;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import dev.coemesh.router.classify.CategoryModel;
import dev.coemesh.router.classify.MiniLmEmbedder;
import dev.coemesh.router.classify.TrainingSet;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./mesh bench router [--dataset FILE.jsonl] [--config FILE.yaml] [--rounds 3] [--threads
 * 8]}: routes every labelled prompt through the {@link Router} as a gateway would (embedding,
 * classifier, route table, replica selection, decision record) and reports accuracy overall and per
 * category, the confusion matrix, the fallback rate and the decision latency p50/p99 at concurrency
 * 1 and N. The baseline, measured in the same run, is the embedding alone: the ratio says what the
 * rest of the decision costs on top of it. Each classifier family is also trained on the config's
 * examples and scored on the dataset, beside its cross-validated accuracy.
 */
public final class RouterBench {
  private RouterBench() {}

  /**
   * Runs the bench on a thread with a 16 MB stack: ONNX Runtime optimises MiniLM's graph on the
   * thread that creates the session, and with the benchmarks module's classpath that overflowed the
   * main thread's default 1 MB (a SIGSEGV without a JVM error report).
   */
  public static void main(String[] argv) throws Exception {
    Throwable[] failure = new Throwable[1];
    Runnable bench =
        () -> {
          try {
            run(argv);
          } catch (Throwable e) {
            failure[0] = e;
          }
        };
    Thread thread = new Thread(null, bench, "router-bench", 16L << 20);
    thread.start();
    thread.join();
    switch (failure[0]) {
      case null -> {}
      case Exception e -> throw e;
      case Error e -> throw e;
      case Throwable t -> throw new IllegalStateException(t);
    }
  }

  private static void run(String[] argv) throws Exception {
    Map<String, String> args = parseArgs(argv);
    Path out = Path.of(args.getOrDefault("out", "target/bench/router.json"));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
    int threads = Integer.parseInt(args.getOrDefault("threads", "8"));
    RoutingConfig config =
        args.containsKey("config")
            ? RoutingConfigLoader.load(Path.of(args.get("config")))
            : RoutingConfigLoader.loadDefault();
    Set<String> categories = new LinkedHashSet<>();
    config.categories().forEach(c -> categories.add(c.name()));
    LabelledPrompts data =
        args.containsKey("dataset")
            ? LabelledPrompts.load(Path.of(args.get("dataset")), categories)
            : LabelledPrompts.loadDefault(categories);
    List<LabelledPrompts.Item> items = data.items();

    long loadStart = System.nanoTime();
    try (MiniLmEmbedder embedder = new MiniLmEmbedder();
        InProcessSignalBus bus = new InProcessSignalBus(1 << 16)) {
      double embedderLoadMs = (System.nanoTime() - loadStart) / 1e6;
      long trainStart = System.nanoTime();
      Router router =
          Router.builder(config, embedder)
              .signalBus(bus)
              .replicaExpiry(Duration.ofHours(1)) // replicas are fed once, before the run
              .build();
      double trainMs = (System.nanoTime() - trainStart) / 1e6;
      feedReplicas(router, config);

      // Warm-up: JIT and ONNX Runtime's first calls.
      for (LabelledPrompts.Item item : items) {
        router.route(RouteRequest.of("warm", item.prompt()));
        embedder.embed(item.prompt());
      }

      // Quality: one decision per prompt.
      Map<String, Map<String, Integer>> confusion = new LinkedHashMap<>();
      for (String c : categories) {
        Map<String, Integer> row = new LinkedHashMap<>();
        categories.forEach(p -> row.put(p, 0));
        confusion.put(c, row);
      }
      int correct = 0;
      int fallbacks = 0;
      int expertCorrect = 0;
      int strong = 0;
      int tiered = 0;
      Map<String, int[]> perCategory = new LinkedHashMap<>(); // [correct, total]
      categories.forEach(c -> perCategory.put(c, new int[2]));
      for (int i = 0; i < items.size(); i++) {
        LabelledPrompts.Item item = items.get(i);
        RouteDecision d = router.route(RouteRequest.of("eval-" + i, item.prompt()));
        confusion.get(item.category()).merge(d.category(), 1, Integer::sum);
        int[] pc = perCategory.get(item.category());
        pc[1]++;
        if (item.category().equals(d.category())) {
          correct++;
          pc[0]++;
        }
        if (d.reason() == RouteReason.LOW_CONFIDENCE) {
          fallbacks++;
        }
        if (expertsOf(config, item.category()).contains(d.expert())) {
          expertCorrect++;
        }
        if (d.tier() != null) {
          tiered++;
          strong += d.tier() == RouteDecision.Tier.STRONG ? 1 : 0;
        }
      }
      Map<String, Double> perCategoryAccuracy = new LinkedHashMap<>();
      perCategory.forEach(
          (c, v) -> perCategoryAccuracy.put(c, v[1] == 0 ? 0 : (double) v[0] / v[1]));

      // Latency at concurrency 1: the whole decision, and the embedding alone (baseline).
      double[] decisionMs = new double[rounds * items.size()];
      double[] embeddingMs = new double[rounds * items.size()];
      int n = 0;
      for (int r = 0; r < rounds; r++) {
        for (LabelledPrompts.Item item : items) {
          long t0 = System.nanoTime();
          router.route(RouteRequest.of("lat", item.prompt()));
          long t1 = System.nanoTime();
          embedder.embed(item.prompt());
          long t2 = System.nanoTime();
          decisionMs[n] = (t1 - t0) / 1e6;
          embeddingMs[n++] = (t2 - t1) / 1e6;
        }
      }
      Map<String, Object> latency1 = percentiles(decisionMs);
      Map<String, Object> baseline1 = percentiles(embeddingMs);

      // Latency at concurrency N: N threads route the dataset (each from its own offset).
      double[][] perThread = new double[threads][rounds * items.size()];
      CountDownLatch start = new CountDownLatch(1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        workers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        start.await();
                        int m = 0;
                        for (int r = 0; r < rounds; r++) {
                          for (int i = 0; i < items.size(); i++) {
                            String p = items.get((i + id * 29) % items.size()).prompt();
                            long t0 = System.nanoTime();
                            router.route(RouteRequest.of("c" + id, p));
                            perThread[id][m++] = (System.nanoTime() - t0) / 1e6;
                          }
                        }
                      } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                      }
                    }));
      }
      long wall0 = System.nanoTime();
      start.countDown();
      for (Thread w : workers) {
        w.join();
      }
      double wallS = (System.nanoTime() - wall0) / 1e9;
      if (failure.get() != null) {
        throw new IllegalStateException("a routing thread failed", failure.get());
      }
      double[] all = new double[threads * rounds * items.size()];
      for (int t = 0; t < threads; t++) {
        System.arraycopy(perThread[t], 0, all, t * perThread[t].length, perThread[t].length);
      }
      Map<String, Object> latencyN = percentiles(all);
      latencyN.put("decisions_per_s", round(all.length / wallS, 1));

      // Every classifier family, trained on the config's examples, scored on this dataset.
      Map<String, Object> families = families(config, embedder, items);

      Map<String, Object> report = new LinkedHashMap<>();
      report.put("benchmark", "router");
      report.put("dataset", args.getOrDefault("dataset", LabelledPrompts.DEFAULT_RESOURCE));
      report.put("config", args.getOrDefault("config", RoutingConfigLoader.DEFAULT_RESOURCE));
      report.put("prompts", items.size());
      report.put("cores", Runtime.getRuntime().availableProcessors());
      report.put("classifier", router.evaluation().chosen());
      report.put("cross_validated_accuracy", router.evaluation().crossValidatedAccuracy());
      report.put("temperature", round(router.evaluation().temperature(), 4));
      report.put("confidence_threshold", config.confidenceThreshold());
      report.put("accuracy", round((double) correct / items.size(), 4));
      report.put("per_category", roundAll(perCategoryAccuracy));
      report.put("fallback_rate", round((double) fallbacks / items.size(), 4));
      report.put("expert_accuracy", round((double) expertCorrect / items.size(), 4));
      report.put("strong_fraction", tiered == 0 ? null : round((double) strong / tiered, 4));
      report.put("confusion", confusion);
      report.put("latency_ms", latency1);
      report.put("baseline_embedding_ms", baseline1);
      report.put(
          "decision_over_embedding_p50",
          round((double) latency1.get("p50") / (double) baseline1.get("p50"), 3));
      report.put("latency_ms_concurrency_" + threads, latencyN);
      report.put("families", families);
      report.put("embedder_load_ms", round(embedderLoadMs, 1));
      report.put("train_ms", round(trainMs, 1));
      report.put("signals_dropped", bus.droppedCount());
      router.close();

      print(report, perCategoryAccuracy, threads);
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(out.toFile(), report);
      System.out.println("wrote " + out);
    }
  }

  /** Two colocated replicas per expert (plus a prefill and a decode one when disaggregated). */
  private static void feedReplicas(Router router, RoutingConfig config) {
    long now = System.currentTimeMillis();
    for (RoutingConfig.Expert e : config.experts()) {
      List<ReplicaId> ids = new ArrayList<>();
      ids.add(new ReplicaId(e.name(), ReplicaRole.COLOCATED, "a"));
      ids.add(new ReplicaId(e.name(), ReplicaRole.COLOCATED, "b"));
      if (e.mode() == ServingMode.DISAGGREGATED) {
        ids.add(new ReplicaId(e.name(), ReplicaRole.PREFILL, "p"));
        ids.add(new ReplicaId(e.name(), ReplicaRole.DECODE, "d"));
      }
      for (int i = 0; i < ids.size(); i++) {
        router.onSignal(new SignalEvent.LoadReport(ids.get(i), i, 1, 100 * i, 1000, 50, 10, now));
      }
    }
  }

  private static Set<ExpertId> expertsOf(RoutingConfig config, String category) {
    return switch (config.routes().get(category)) {
      case RoutingConfig.Route.Single s -> Set.of(s.expert());
      case RoutingConfig.Route.StrongWeak p -> Set.of(p.strong(), p.weak());
    };
  }

  private static Map<String, Object> families(
      RoutingConfig config, MiniLmEmbedder embedder, List<LabelledPrompts.Item> items) {
    TrainingSet train = CategoryModel.examples(config, embedder);
    float[][] x = new float[items.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = embedder.embed(items.get(i).prompt());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (RoutingConfig.ClassifierType type : RoutingConfig.ClassifierType.values()) {
      if (type == RoutingConfig.ClassifierType.AUTO) {
        continue;
      }
      RoutingConfig.ClassifierSpec spec =
          new RoutingConfig.ClassifierSpec(
              type, config.classifier().k(), config.classifier().folds());
      CategoryModel model = CategoryModel.train(train, spec, Map.of());
      int correct = 0;
      int confident = 0;
      for (int i = 0; i < x.length; i++) {
        CategoryModel.Prediction p = model.predict(x[i]);
        correct += p.category().equals(items.get(i).category()) ? 1 : 0;
        confident += p.confidence() >= config.confidenceThreshold() ? 1 : 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put(
          "cross_validated_accuracy",
          round(model.evaluation().crossValidatedAccuracy().values().iterator().next(), 4));
      f.put("eval_accuracy", round((double) correct / x.length, 4));
      f.put("fallback_rate", round(1 - (double) confident / x.length, 4));
      f.put("temperature", round(model.evaluation().temperature(), 4));
      out.put(RoutingConfigLoader.typeName(type), f);
    }
    return out;
  }

  private static Map<String, Object> percentiles(double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("p50", round(at(s, 0.50), 3));
    out.put("p90", round(at(s, 0.90), 3));
    out.put("p99", round(at(s, 0.99), 3));
    out.put("max", round(s[s.length - 1], 3));
    out.put("samples", s.length);
    return out;
  }

  /** Nearest-rank percentile of sorted values. */
  private static double at(double[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static void print(
      Map<String, Object> report, Map<String, Double> perCategory, int threads) {
    System.out.printf(
        Locale.ROOT,
        "router: %s prompts, classifier %s (cross-validated %s), threshold %.2f%n",
        report.get("prompts"),
        report.get("classifier"),
        report.get("cross_validated_accuracy"),
        (double) report.get("confidence_threshold"));
    System.out.printf(Locale.ROOT, "%-12s %8s%n", "category", "accuracy");
    perCategory.forEach((c, a) -> System.out.printf(Locale.ROOT, "%-12s %8.3f%n", c, a));
    System.out.printf(
        Locale.ROOT,
        "%-12s %8s   fallback rate %s, expert accuracy %s, strong fraction %s%n",
        "overall",
        report.get("accuracy"),
        report.get("fallback_rate"),
        report.get("expert_accuracy"),
        report.get("strong_fraction"));
    System.out.println("families (config examples -> this dataset): " + report.get("families"));
    System.out.printf(
        Locale.ROOT,
        "%-26s %s%n%-26s %s%n%-26s %s%n",
        "decision ms, concurrency 1",
        report.get("latency_ms"),
        "embedding only (baseline)",
        report.get("baseline_embedding_ms"),
        "decision ms, concurrency " + threads,
        report.get("latency_ms_concurrency_" + threads));
    System.out.println("decision / embedding p50: " + report.get("decision_over_embedding_p50"));
  }

  private static Map<String, Double> roundAll(Map<String, Double> values) {
    Map<String, Double> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(k, round(v, 4)));
    return out;
  }

  private static double round(double v, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(v * scale) / scale;
  }

  private static Map<String, String> parseArgs(String[] argv) {
    Set<String> known = Set.of("out", "dataset", "config", "rounds", "threads");
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--") || i + 1 >= argv.length || !known.contains(a.substring(2))) {
        throw new IllegalArgumentException(
            "usage: RouterBench --out FILE [--dataset FILE.jsonl] [--config FILE.yaml]"
                + " [--rounds N] [--threads N]; bad argument '"
                + a
                + "'");
      }
      out.put(a.substring(2), argv[++i]);
    }
    return out;
  }
}
