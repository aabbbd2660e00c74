package dev.coemesh.bench.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.coemesh.bench.disagg.Stats;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.slo.Goodput;
import dev.coemesh.core.slo.Slo;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.Role;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.synthetic.SyntheticModels;
import dev.coemesh.worker.client.StaticPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./mesh bench mesh}: what the router's placement (prefix-cache affinity from the workers'
 * KV-block events, queue depth, KV use) buys over round-robin placement on the distributed mesh, on
 * loopback ({@link LoopbackMesh}: real Redis and Kafka, worker processes, the gateway process).
 *
 * <p>One expert on colocated replicas, each worker one engine thread (pinned to its own core when
 * the machine has one per worker). The workload is multi-turn chat ({@link ChatSessions}) through
 * the gateway's streaming {@code /v1/chat/completions} at several Poisson rates. The same run
 * measures (a) the round-robin picker and (b) the router's max-score placement: the routing configs
 * differ in {@code picker} only, and workers and gateway are restarted between the two (fresh
 * caches) and warmed up the same way. The SLO comes from an idle measurement in the same run
 * ({@link #idleSlo}), and the added latency of the distributed path from small requests through the
 * gateway against the same requests sent straight to a worker over gRPC ({@link #addedLatency}).
 */
public final class MeshBench {
  static final String EXPERT = "chat";

  private final Args args;
  private final Path root;
  private final ChatSessions workload;
  private final double[] rates;
  private final long seed;
  private final LoopbackMesh.WorkerSpec spec;

  private MeshBench(Args args) {
    this.args = args;
    this.root = Path.of(System.getProperty("mesh.root", ".")).toAbsolutePath();
    this.rates =
        Arrays.stream(args.get("rates", "0.3,0.6,1.2").split(","))
            .mapToDouble(Double::parseDouble)
            .toArray();
    for (int i = 1; i < rates.length; i++) {
      if (!(rates[i] > rates[i - 1])) {
        throw new IllegalArgumentException("--rates must increase: " + args.get("rates", ""));
      }
    }
    this.seed = args.integer("seed", 7);
    int workers = args.integer("replicas", 2);
    boolean pin =
        switch (args.get("pin", "auto")) {
          case "auto" -> Runtime.getRuntime().availableProcessors() >= workers && hasTaskset();
          case "true" -> true;
          case "false" -> false;
          default -> throw new IllegalArgumentException("--pin is auto, true or false");
        };
    this.spec =
        new LoopbackMesh.WorkerSpec(
            EXPERT,
            args.get("model", "synthetic:stories15M-2k"),
            workers,
            args.integer("kv-blocks", 1024),
            args.integer("max-running", 16),
            args.integer("prefill-chunk", SchedulerOptions.defaults().maxPrefillTokensPerStep()),
            pin);
    this.workload =
        new ChatSessions(
            args.integer("sessions", 16),
            args.integer("turns", 5),
            args.integer("user-chars", 80),
            args.integer("max-tokens", 16),
            EXPERT);
  }

  public static void main(String[] argv) throws Exception {
    new MeshBench(Args.parse(argv)).run();
  }

  /** One placement's measurements. */
  record Placement(String name, List<RatePoint> points, Map<String, Object> idle) {}

  /** One rate's turns and their figures. */
  record RatePoint(double rate, List<ChatSessions.Result> results, int expected) {}

  private void run() throws Exception {
    Path out = Path.of(args.get("out", root.resolve("target/bench/mesh.json").toString()));
    Path jar = ChildProcess.packagedGateway(root, args.get("gateway-jar", null), "mesh");
    Path runDir = root.resolve(args.get("run-dir", "target/bench/mesh-run"));
    Path model =
        SyntheticModels.isSynthetic(spec.model())
            ? SyntheticModels.materialize(spec.model(), SyntheticModels.DEFAULT_CACHE)
            : Path.of(spec.model());
    Model tokenizerModel = ModelLoader.load(model, null); // the direct path's tokenizer
    Map<String, Placement> placements = new LinkedHashMap<>();
    Slo slo = null;
    Map<String, Object> added = null;
    try (LoopbackMesh mesh = new LoopbackMesh(root, runDir)) {
      System.out.println("starting redis and kafka (infra/infra.sh, run folder " + runDir + ")");
      mesh.startInfra();
      for (String picker : List.of("round-robin", "max-score")) {
        String name = picker.equals("round-robin") ? "round_robin" : "router";
        Path routing = runDir.resolve("routing-" + picker + ".yaml");
        Files.writeString(
            routing, routingConfig(spec.model(), tokenizerModel.config().contextLength(), picker));
        System.out.printf(
            "[%s] starting %d workers%s and the gateway%n",
            name, spec.replicas(), spec.pin() ? " (pinned, one core each)" : "");
        mesh.startWorkers(spec, name.replace('_', '-'));
        mesh.startGateway(jar, routing, spec, name);
        ChatClient client =
            new ChatClient(mesh.gatewayUri(), LoopbackMesh.API_KEY, Duration.ofMinutes(2));
        StaticPool direct = new StaticPool(mesh.workerClients(), List.of(), List.of());
        warmUp(client, direct);
        Map<String, Object> idle = idle(client);
        if (slo == null) {
          slo = idleSlo(idle);
          System.out.printf(
              "SLO: TTFT <= %.0f ms and TPOT <= %.1f ms%n", slo.ttftMs(), slo.tpotMs());
        }
        List<RatePoint> points = new ArrayList<>();
        for (int i = 0; i < rates.length; i++) {
          List<ChatSessions.Result> r =
              workload.run(
                  client,
                  rates[i],
                  seed + i,
                  Duration.ofSeconds(args.integer("drain-seconds", 120)));
          RatePoint p = new RatePoint(rates[i], r, workload.requests());
          points.add(p);
          System.out.printf("[%s] %s%n", name, summary(p, slo));
        }
        if (picker.equals("max-score")) {
          added = addedLatency(client, direct, tokenizerModel);
        }
        placements.put(name, new Placement(name, points, idle));
        mesh.stopServing();
      }
    }
    Map<String, Object> json = report(placements, slo, added);
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
    System.out.println("wrote " + out);
  }

  /**
   * One expert on the workers' model, pinned by {@code model}; the two runs differ in {@code
   * picker}.
   */
  static String routingConfig(String model, int contextLength, String picker) {
    return """
        version: 1
        filters: [health, role, capacity]
        scorers: {prefix-affinity: 2, load: 1, kv-utilisation: 1}
        picker: %s
        experts:
          - name: %s
            source: {type: embedded, model: "%s"}
            mode: colocated
            context_length: %d
            kv_block_size: 16
        routes: {chat: %s}
        fallback_expert: %s
        categories:
          - name: chat
            examples: [hello, where is my order, can I return these boots]
        """
        .formatted(picker, EXPERT, model, contextLength, EXPERT, EXPERT);
  }

  /**
   * The same for both placements: straight to each worker, long random prompts (its JIT, no prefix
   * the workload shares), then through the gateway (its JIT), sequential and concurrent.
   */
  private void warmUp(ChatClient client, StaticPool direct) throws Exception {
    SplittableRandom random = new SplittableRandom(99);
    for (int round = 0; round < 3; round++) {
      List<CompletableFuture<Void>> batch = new ArrayList<>();
      for (int i = 0; i < 2 * spec.replicas(); i++) {
        int[] prompt = new int[600];
        prompt[0] = 1;
        for (int t = 1; t < prompt.length; t++) {
          prompt[t] = random.nextInt(259, 32000);
        }
        batch.add(generate(direct, new TenantId("warmup"), prompt, 16));
      }
      CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    }
    for (int i = 0; i < 6; i++) {
      List<ChatMessage> chat =
          List.of(
              new ChatMessage(Role.SYSTEM, "Warm-up " + i + ": " + workload.userTurn(99, i, 0)),
              new ChatMessage(Role.USER, workload.userTurn(99, i, 1)));
      expectAnswer(client.complete(EXPERT, chat, 16));
    }
  }

  private static CompletableFuture<Void> generate(
      StaticPool pool, TenantId tenant, int[] prompt, int maxTokens) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    pool.generate(
        RequestId.random(),
        tenant,
        prompt,
        SamplingParams.greedy(maxTokens),
        e -> {
          switch (e) {
            case TokenEvent.Token t -> {}
            case TokenEvent.ToolCallDelta d -> {}
            case TokenEvent.Finished f -> done.complete(null);
            case TokenEvent.Failed f ->
                done.completeExceptionally(
                    new IllegalStateException(f.code() + ": " + f.message()));
          }
        });
    return done;
  }

  private static ChatClient.Outcome.Answered expectAnswer(ChatClient.Outcome o) {
    return switch (o) {
      case ChatClient.Outcome.Answered a -> a;
      case ChatClient.Outcome.Failed f ->
          throw new IllegalStateException("request failed: " + f.reason());
    };
  }

  /**
   * The idle mesh: sequential requests shaped like a mid-conversation turn (the system prompt, two
   * turns of history, a new question) but sharing no prefix with anything cached (a unique first
   * line), so all of the prompt is prefilled: TTFT of a full miss, and TPOT of a lone sequence.
   */
  private Map<String, Object> idle(ChatClient client) {
    int samples = args.integer("idle-samples", 5);
    double[] ttft = new double[samples];
    double[] tpot = new double[samples];
    int[] prompt = new int[samples];
    for (int i = 0; i < samples; i++) {
      List<ChatMessage> chat = new ArrayList<>();
      chat.add(
          new ChatMessage(Role.SYSTEM, "Idle probe " + i + ".\n" + ChatSessions.SYSTEM_PROMPT));
      for (int t = 0; t < 2; t++) {
        chat.add(new ChatMessage(Role.USER, workload.userTurn(1234, i, t)));
        chat.add(new ChatMessage(Role.ASSISTANT, workload.userTurn(4321, i, t)));
      }
      chat.add(new ChatMessage(Role.USER, workload.userTurn(1234, i, 2)));
      ChatClient.Outcome.Answered a =
          expectAnswer(client.complete(EXPERT, chat, args.integer("max-tokens", 16)));
      ttft[i] = a.ttftMs();
      tpot[i] = a.tpotMs();
      prompt[i] = a.promptTokens() - a.cachedTokens();
    }
    Map<String, Object> idle = new LinkedHashMap<>();
    idle.put("requests", samples);
    idle.put("uncached_prompt_tokens_mean", Arrays.stream(prompt).average().orElse(0));
    idle.put("ttft_ms_p50", round(Stats.percentile(ttft, 50)));
    idle.put("tpot_ms_p50", round(Stats.percentile(tpot, 50)));
    return idle;
  }

  /**
   * The SLO from the idle measurement: {@code --slo-ttft-scale} (2) × the idle full-miss TTFT and
   * {@code --slo-tpot-scale} (3) × the idle TPOT, or absolute {@code --slo-ttft-ms}/{@code
   * --slo-tpot-ms}.
   */
  private Slo idleSlo(Map<String, Object> idle) {
    double ttft =
        args.real("slo-ttft-ms", args.real("slo-ttft-scale", 2) * (double) idle.get("ttft_ms_p50"));
    double tpot =
        args.real("slo-tpot-ms", args.real("slo-tpot-scale", 3) * (double) idle.get("tpot_ms_p50"));
    return new Slo(ttft, tpot);
  }

  /**
   * The distributed path's added latency: the same small chat request (same prompt tokens, same
   * max_tokens, greedy) through the gateway (REST, streaming: auth, admission, tokenization,
   * routing, the gRPC call to the worker, SSE back) and straight to the workers (gRPC {@code
   * Colocated.Generate} round-robin with the mesh credential, the gateway's tenant so the same
   * cache scope), alternating, one at a time on the otherwise idle mesh. Both sides are timed at
   * the client: TTFT and the whole request.
   */
  private Map<String, Object> addedLatency(ChatClient client, StaticPool direct, Model model)
      throws Exception {
    int samples = args.integer("added-samples", 40);
    int maxTokens = 8;
    List<ChatMessage> chat =
        List.of(
            new ChatMessage(Role.SYSTEM, "You are brief."),
            new ChatMessage(Role.USER, "Where is my parcel?"));
    String prompt = model.chatFormat().render(chat.stream().map(ChatMessage::turn).toList(), true);
    int[] ids = model.tokenizer().encode(prompt, true);
    TenantId tenant = new TenantId("default"); // the gateway's tenant of its API key
    double[][] ttft = new double[2][samples];
    double[][] full = new double[2][samples];
    for (int i = -4; i < samples; i++) { // the first four warm both paths and both caches
      ChatClient.Outcome.Answered a = expectAnswer(client.complete(EXPERT, chat, maxTokens));
      if (a.promptTokens() != ids.length) {
        throw new IllegalStateException(
            "the gateway's prompt has "
                + a.promptTokens()
                + " tokens, the direct one "
                + ids.length);
      }
      long start = System.nanoTime();
      long[] first = {0};
      CompletableFuture<Void> done = new CompletableFuture<>();
      direct.generate(
          RequestId.random(),
          tenant,
          ids,
          SamplingParams.greedy(maxTokens),
          e -> {
            switch (e) {
              case TokenEvent.Token t -> {
                if (first[0] == 0) {
                  first[0] = System.nanoTime();
                }
              }
              case TokenEvent.ToolCallDelta d -> {}
              case TokenEvent.Finished f -> done.complete(null);
              case TokenEvent.Failed f ->
                  done.completeExceptionally(new IllegalStateException(f.message()));
            }
          });
      done.get(1, TimeUnit.MINUTES);
      long end = System.nanoTime();
      if (i >= 0) {
        ttft[0][i] = a.ttftMs();
        full[0][i] = a.latencyMs();
        ttft[1][i] = (first[0] - start) / 1e6;
        full[1][i] = (end - start) / 1e6;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "request",
        "chat, " + ids.length + " prompt tokens, max_tokens " + maxTokens + ", greedy, sequential");
    out.put("samples", samples);
    for (String metric : List.of("ttft", "request")) {
      double[][] v = metric.equals("ttft") ? ttft : full;
      Map<String, Object> m = new LinkedHashMap<>();
      for (int side = 0; side < 2; side++) {
        m.put(
            side == 0 ? "gateway" : "direct",
            Map.of(
                "p50",
                round(Stats.percentile(v[side], 50)),
                "p99",
                round(Stats.percentile(v[side], 99))));
      }
      m.put(
          "added",
          Map.of(
              "p50", round(Stats.percentile(v[0], 50) - Stats.percentile(v[1], 50)),
              "p99", round(Stats.percentile(v[0], 99) - Stats.percentile(v[1], 99))));
      out.put(metric + "_ms", m);
    }
    return out;
  }

  private String summary(RatePoint p, Slo slo) {
    Figures f = Figures.of(p.results(), p.expected(), slo);
    return String.format(
        "rate %.2f/s: %d/%d answered, TTFT p50 %.0f p99 %.0f ms, TPOT p50 %.1f p99 %.1f ms, SLO %.2f, prefix hits %.2f, deferred %d",
        p.rate(),
        f.answered,
        p.expected(),
        f.ttftP50,
        f.ttftP99,
        f.tpotP50,
        f.tpotP99,
        f.attainment,
        f.hitRate,
        f.deferred);
  }

  /** The figures of a set of turns; turns that failed or never came back miss the SLO. */
  record Figures(
      int answered,
      int deferred,
      double ttftP50,
      double ttftP99,
      double tpotP50,
      double tpotP99,
      double attainment,
      double hitRate,
      long promptTokens,
      long cachedTokens) {
    static Figures of(List<ChatSessions.Result> results, int expected, Slo slo) {
      List<ChatClient.Outcome.Answered> ok = new ArrayList<>();
      int deferred = 0;
      for (ChatSessions.Result r : results) {
        deferred += r.deferred() ? 1 : 0;
        if (r.outcome() instanceof ChatClient.Outcome.Answered a) {
          ok.add(a);
        }
      }
      double[] ttft = ok.stream().mapToDouble(ChatClient.Outcome.Answered::ttftMs).toArray();
      double[] tpot = ok.stream().mapToDouble(ChatClient.Outcome.Answered::tpotMs).toArray();
      long met = ok.stream().filter(a -> slo.attainedBy(a.ttftMs(), a.tpotMs())).count();
      long prompt = ok.stream().mapToLong(ChatClient.Outcome.Answered::promptTokens).sum();
      long cached = ok.stream().mapToLong(ChatClient.Outcome.Answered::cachedTokens).sum();
      return new Figures(
          ok.size(),
          deferred,
          Stats.percentile(ttft, 50),
          Stats.percentile(ttft, 99),
          Stats.percentile(tpot, 50),
          Stats.percentile(tpot, 99),
          expected == 0 ? 0 : (double) met / expected,
          prompt == 0 ? 0 : (double) cached / prompt,
          prompt,
          cached);
    }
  }

  private Map<String, Object> report(
      Map<String, Placement> placements, Slo slo, Map<String, Object> added) {
    Map<String, Object> ttft = new LinkedHashMap<>();
    Map<String, Object> tpot = new LinkedHashMap<>();
    Map<String, Object> goodput = new LinkedHashMap<>();
    Map<String, Object> hits = new LinkedHashMap<>();
    Map<String, Object> perRate = new LinkedHashMap<>();
    Map<String, Object> idle = new LinkedHashMap<>();
    Map<String, Double> goodputs = new LinkedHashMap<>();
    Map<String, Double> ttftP50 = new LinkedHashMap<>();
    for (Placement p : placements.values()) {
      List<ChatSessions.Result> all = new ArrayList<>();
      double[] attained = new double[p.points().size()];
      List<Object> rows = new ArrayList<>();
      for (int i = 0; i < p.points().size(); i++) {
        RatePoint point = p.points().get(i);
        all.addAll(point.results());
        Figures f = Figures.of(point.results(), point.expected(), slo);
        attained[i] = f.attainment();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rate_rps", point.rate());
        row.put("requests", point.expected());
        row.put("answered", f.answered());
        row.put("deferred_turns", f.deferred());
        row.put("ttft_ms", Map.of("p50", round(f.ttftP50()), "p99", round(f.ttftP99())));
        row.put("tpot_ms", Map.of("p50", round(f.tpotP50()), "p99", round(f.tpotP99())));
        row.put("slo_attainment", round(f.attainment()));
        row.put("prefix_hit_rate", round(f.hitRate()));
        row.put("prompt_tokens", f.promptTokens());
        row.put("cached_tokens", f.cachedTokens());
        rows.add(row);
      }
      int expected = p.points().stream().mapToInt(RatePoint::expected).sum();
      Figures total = Figures.of(all, expected, slo);
      double g = Goodput.crossing(rates, attained, Goodput.DEFAULT_TARGET);
      goodputs.put(p.name(), g);
      ttftP50.put(p.name(), total.ttftP50());
      ttft.put(p.name(), Map.of("p50", round(total.ttftP50()), "p99", round(total.ttftP99())));
      tpot.put(p.name(), Map.of("p50", round(total.tpotP50()), "p99", round(total.tpotP99())));
      goodput.put(p.name(), round(g));
      hits.put(p.name(), round(total.hitRate()));
      perRate.put(p.name(), rows);
      idle.put(p.name(), p.idle());
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "mesh");
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put(
        "mesh",
        "loopback: redis-server, Kafka KRaft broker, "
            + spec.replicas()
            + " colocated worker processes of one expert (1 engine thread each"
            + (spec.pin()
                ? ", pinned to cores 0.." + (spec.replicas() - 1) + " with taskset"
                : ", not pinned")
            + "), the gateway process (remote pools); workers and gateway restarted between placements");
    setup.put("model", spec.model());
    setup.put("kv_blocks_per_worker", spec.kvBlocks());
    setup.put("max_running_per_worker", spec.maxRunning());
    setup.put("prefill_chunk_tokens", spec.prefillChunk());
    setup.put(
        "workload",
        "multi-turn chat via streaming /v1/chat/completions: "
            + args.integer("sessions", 16)
            + " sessions x "
            + args.integer("turns", 5)
            + " turns per rate, shared system prompt of "
            + ChatSessions.SYSTEM_PROMPT.length()
            + " chars, user turns of ~"
            + args.integer("user-chars", 80)
            + " chars, whole history resent, max_tokens "
            + args.integer("max-tokens", 16)
            + ", greedy; Poisson arrivals (seed "
            + seed
            + " + rate index)");
    setup.put("rates_rps", rates);
    setup.put(
        "placements",
        Map.of(
            "round_robin",
            "picker: round-robin",
            "router",
            "picker: max-score, scorers prefix-affinity 2, load 1, kv-utilisation 1"));
    setup.put("cores", Runtime.getRuntime().availableProcessors());
    setup.put("java", System.getProperty("java.version"));
    setup.put("load_average_at_end", loadAverage());
    json.put("setup", setup);
    json.put(
        "slo",
        Map.of(
            "ttft_ms",
            round(slo.ttftMs()),
            "tpot_ms",
            round(slo.tpotMs()),
            "target_attainment",
            Goodput.DEFAULT_TARGET,
            "from",
            "idle full-miss TTFT x "
                + args.get("slo-ttft-scale", "2")
                + ", idle TPOT x "
                + args.get("slo-tpot-scale", "3")
                + " (unless --slo-ttft-ms/--slo-tpot-ms)"));
    json.put("idle", idle);
    json.put("ttft_ms", ttft);
    json.put("tpot_ms", tpot);
    json.put("goodput_rps", goodput);
    json.put("prefix_hit_rate", hits);
    Double rr = goodputs.get("round_robin");
    Double router = goodputs.get("router");
    json.put("goodput_ratio", rr == null || router == null || rr == 0 ? null : round(router / rr));
    json.put("ttft_p50_ratio", round(ttftP50.get("router") / ttftP50.get("round_robin")));
    json.put(
        "added_latency_ms", added == null ? null : ((Map<?, ?>) added.get("ttft_ms")).get("added"));
    json.put("added_latency", added);
    json.put("per_rate", perRate);
    return json;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static boolean hasTaskset() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "taskset"))) {
        return true;
      }
    }
    return false;
  }

  static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : Double.NaN;
  }

  /** {@code --name value} pairs. */
  record Args(Map<String, String> values) {
    static Args parse(String[] argv) {
      if (argv.length % 2 != 0) {
        throw new IllegalArgumentException(
            "expected --name value pairs, got " + String.join(" ", argv));
      }
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--")) {
          throw new IllegalArgumentException("expected --name value pairs, got " + argv[i]);
        }
        m.put(argv[i].substring(2), argv[i + 1]);
      }
      return new Args(m);
    }

    String get(String name, String dflt) {
      return values.getOrDefault(name, dflt);
    }

    int integer(String name, int dflt) {
      return Integer.parseInt(get(name, Integer.toString(dflt)));
    }

    double real(String name, double dflt) {
      return Double.parseDouble(get(name, Double.toString(dflt)));
    }
  }
}
