package dev.coemesh.bench.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.coemesh.bench.disagg.Stats;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.Role;
import dev.coemesh.pool.synthetic.SyntheticModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./mesh bench fairness}: VTC across two gateway replicas that share one Kafka, one Redis
 * and one worker, each replica admitting to half the worker's batch slots.
 *
 * <p>Two tenants stay backlogged for the whole run. {@code heavy} keeps ten times as many requests
 * outstanding as {@code light}, and both split their traffic unevenly over the replicas: heavy
 * sends 3/4 through replica A, light 9/10 through replica B. Each replica alone sees a different
 * mix, so per-replica VTC gives heavy more than its share; with the usage exchange ({@code
 * mesh.usage}) each replica orders tenants by their service over both. The same load runs twice,
 * exchange on ({@code global}) and off ({@code local_only}); the served-service gap (weighted
 * tokens, {@code w_p·input + w_q·output}, summed over both replicas from their status reports) is
 * sampled every 250 ms and its largest value is reported against the VTC bound {@code 2·max(w_p·L,
 * w_q·M)} plus the lag allowance (the mesh's weighted service rate times the flush interval plus
 * the longest measured signal round trip; docs/operations.md).
 *
 * <p>During the global run a third tenant with a 1,000 tokens/min limit sends through both
 * replicas; the tokens it was served within the minute beyond its limit are {@code
 * limit_overshoot_tokens}. The light tenant's p90 TTFT is measured alone on the idle mesh and
 * during the global run.
 *
 * <p>After the global run, the load stops and each replica's record of the other's service must
 * match what the other served. Then the load runs again with Kafka stopped for {@code
 * --kafka-outage-seconds} (10) in the middle: no request may fail, the replicas must report
 * local-only VTC during the outage, share again after it, and agree once more when the load stops.
 *
 * <p>{@code --check true} exits non-zero when a goal is missed: the global gap within the bound
 * plus the allowance and below the local-only gap (which must exceed it, or the run shows nothing),
 * and the overshoot at most one request's tokens.
 */
public final class FairnessBench {
  private static final String EXPERT = MeshBench.EXPERT; // the expert of its routing config
  private static final String HEAVY = "heavy";
  private static final String LIGHT = "light";
  private static final String METERED = "metered";
  private static final long METERED_TOKENS_PER_MINUTE = 1000;
  private static final double W_P = 1; // mesh.fair defaults
  private static final double W_Q = 2;
  private static final Duration FLUSH = Duration.ofMillis(100); // mesh.fair.global.flush-interval
  private static final int WARM_LOAD_SECONDS = 15;

  private final Args args;
  private final Path root;
  private final int seconds;
  private final int warmupSeconds;
  private final int maxTokens;
  private final int slotsPerGateway;
  private final LoopbackMesh.WorkerSpec spec;
  private final ObjectMapper json = new ObjectMapper();

  private FairnessBench(Args args) {
    this.args = args;
    this.root = Path.of(System.getProperty("mesh.root", ".")).toAbsolutePath();
    this.seconds = args.integer("seconds", 40);
    this.warmupSeconds = args.integer("warmup-seconds", 8);
    this.maxTokens = args.integer("max-tokens", 32);
    this.slotsPerGateway = args.integer("slots", 4);
    if (seconds < 5 || seconds + warmupSeconds > 55) {
      // the metered tenant's tokens are counted within one minute of its first request
      throw new IllegalArgumentException("--seconds 5..(55 - warmup-seconds), was " + seconds);
    }
    this.spec =
        new LoopbackMesh.WorkerSpec(
            EXPERT,
            args.get("model", "synthetic:stories15M-2k"),
            1,
            args.integer("kv-blocks", 1024),
            2 * slotsPerGateway,
            256,
            false);
  }

  public static void main(String[] argv) throws Exception {
    Args args =
        Args.parse(
            argv,
            Set.of(
                "out",
                "seconds",
                "warmup-seconds",
                "max-tokens",
                "slots",
                "model",
                "kv-blocks",
                "check",
                "gateway-jar",
                "run-dir",
                "kafka-outage-seconds"));
    System.exit(new FairnessBench(args).run() ? 0 : 1);
  }

  /** One closed-loop client stream's sender: a tenant through one replica. */
  private record Stream(String tenant, int gateway) {}

  /** What one answered or refused request showed. */
  private record Outcome(
      String tenant,
      long startMillis,
      double ttftMs,
      int promptTokens,
      int completionTokens,
      String error) {
    int tokens() {
      return promptTokens + completionTokens;
    }
  }

  /** One run's samples and outcomes. */
  private record Run(
      double maxGap,
      double serviceRate,
      long maxRoundTripMs,
      List<String> exchangeStates,
      List<Outcome> outcomes,
      Map<String, Double> service) {}

  private boolean run() throws Exception {
    Path out = Path.of(args.get("out", root.resolve("target/bench/fairness.json").toString()));
    Path jar = ChildProcess.packagedGateway(root, args.get("gateway-jar", null), "fairness");
    Path runDir = root.resolve(args.get("run-dir", "target/bench/fairness-run"));
    Path model =
        SyntheticModels.isSynthetic(spec.model())
            ? SyntheticModels.materialize(spec.model(), SyntheticModels.DEFAULT_CACHE)
            : Path.of(spec.model());
    int context = ModelLoader.load(model, null).config().contextLength();
    Map<String, Object> report = new LinkedHashMap<>();
    try (LoopbackMesh mesh = new LoopbackMesh(root, runDir)) {
      System.out.println("starting redis and kafka (infra/infra.sh, run folder " + runDir + ")");
      mesh.startInfra();
      Path routing = runDir.resolve("routing.yaml");
      Files.writeString(routing, MeshBench.routingConfig(spec.model(), context, "max-score"));
      mesh.startWorkers(spec, "fair");

      List<URI> global = startReplicas(mesh, jar, routing, true);
      warmUp(global);
      // the worker's and the gateways' JIT under the full load, so both runs find them warm
      System.out.printf("warming up under load for %d s%n", WARM_LOAD_SECONDS);
      load(global, backlogged(), WARM_LOAD_SECONDS, WARM_LOAD_SECONDS);
      double lightAlone = p90Ttft(load(global, lightOnly(), warmupSeconds + 8, warmupSeconds));
      System.out.printf("light tenant alone: TTFT p90 %.1f ms%n", lightAlone);
      Run shared = measure("global", global, true);
      Map<String, Object> converged = convergence(global);
      Map<String, Object> outage = kafkaOutage(mesh, global);
      mesh.stopGateways();

      List<URI> local = startReplicas(mesh, jar, routing, false);
      warmUp(local);
      Run localOnly = measure("local_only", local, false);
      mesh.stopGateways();

      int promptTokens = maxPromptTokens(shared.outcomes(), localOnly.outcomes());
      double bound =
          2 * Math.max(W_P * promptTokens, W_Q * spec.maxRunning() * (promptTokens + maxTokens));
      double lag = FLUSH.toMillis() + shared.maxRoundTripMs();
      double allowance = shared.serviceRate() * lag / 1000.0;
      long meteredTokens = tokens(shared.outcomes(), METERED);
      long overshoot = Math.max(0, meteredTokens - METERED_TOKENS_PER_MINUTE);
      int oneRequest = promptTokens + maxTokens;

      report.put(
          "max_service_gap", Map.of("global", shared.maxGap(), "local_only", localOnly.maxGap()));
      report.put("vtc_bound", bound);
      report.put("lag_allowance", allowance);
      report.put("lag_ms", lag);
      report.put(
          "light_tenant_ttft_p90_ms",
          Map.of("alone", lightAlone, "shared", p90Ttft(only(shared.outcomes(), LIGHT))));
      report.put("limit_overshoot_tokens", overshoot);
      report.put("limit_tokens_per_minute", METERED_TOKENS_PER_MINUTE);
      report.put("limit_served_tokens", meteredTokens);
      report.put("one_request_tokens", oneRequest);
      report.put("service_rate_weighted_tokens_per_s", shared.serviceRate());
      report.put("service", Map.of("global", shared.service(), "local_only", localOnly.service()));
      report.put(
          "exchange_states",
          Map.of("global", shared.exchangeStates(), "local_only", localOnly.exchangeStates()));
      report.put(
          "setup",
          Map.of(
              "gateways",
              2,
              "slots_per_gateway",
              slotsPerGateway,
              "worker_max_running",
              spec.maxRunning(),
              "model",
              spec.model(),
              "max_tokens",
              maxTokens,
              "measure_seconds",
              seconds,
              "streams",
              streamsDescription()));
      int failures = failures(shared.outcomes()) + failures(localOnly.outcomes());
      report.put("failed_requests", failures);
      report.put("converged_after_global_run", converged);
      report.put("kafka_outage", outage);

      boolean globalWithin = shared.maxGap() <= bound + allowance;
      boolean localExceeds = localOnly.maxGap() > bound + allowance;
      boolean overshootOk = overshoot <= oneRequest;
      boolean valid = failures == 0;
      boolean outageOk = outage.isEmpty() || Boolean.TRUE.equals(outage.get("ok"));
      boolean convergedOk = Boolean.TRUE.equals(converged.get("converged"));
      report.put(
          "goals",
          Map.of(
              "global_gap_within_bound", globalWithin,
              "local_only_gap_exceeds_bound", localExceeds,
              "overshoot_within_one_request", overshootOk,
              "no_failed_requests", valid,
              "replicas_converged", convergedOk,
              "kafka_outage_survived_and_converged", outageOk));
      Files.createDirectories(out.getParent());
      json.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
      System.out.println(json.writeValueAsString(report));
      System.out.println("wrote " + out);
      boolean met = globalWithin && localExceeds && overshootOk && valid && convergedOk && outageOk;
      if (Boolean.parseBoolean(args.get("check", "false")) && !met) {
        System.err.println("fairness goals missed; see " + out);
        return false;
      }
      return true;
    }
  }

  private List<URI> startReplicas(LoopbackMesh mesh, Path jar, Path routing, boolean global)
      throws Exception {
    List<URI> replicas = new ArrayList<>();
    String mode = global ? "global" : "local";
    for (String name : List.of("a", "b")) {
      System.out.printf("[%s] starting gateway %s%n", mode, name);
      replicas.add(
          mesh.startGateway(
              jar, routing, spec, mode + "-" + name, gatewayProperties(mesh, name, global)));
    }
    return replicas;
  }

  private List<String> gatewayProperties(LoopbackMesh mesh, String name, boolean global) {
    List<String> p = new ArrayList<>();
    p.add("-Dmesh.serving.remote.slots-per-replica=" + slotsPerGateway);
    p.add("-Dmesh.fair.global.enabled=" + global);
    p.add("-Dmesh.fair.global.gateway-id=gateway-" + name);
    p.add("-Dmesh.limits.redis.uri=" + mesh.redisUri());
    for (String tenant : List.of(HEAVY, LIGHT, METERED)) {
      String prefix = "-Dmesh.auth.tenants." + tenant + ".";
      p.add(prefix + "key-sha256=" + sha256Hex(key(tenant)));
      p.add(prefix + "max-queued=4096");
      p.add(prefix + "max-concurrent=1024");
    }
    p.add("-Dmesh.auth.tenants." + METERED + ".tokens-per-minute=" + METERED_TOKENS_PER_MINUTE);
    return p;
  }

  /**
   * A key's {@code key-sha256} as an operator writes it into the gateway's configuration (what
   * {@code sha256sum} prints): the bench configures the packaged gateway from outside, as a user.
   */
  private static String sha256Hex(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  /**
   * Once the load has stopped, waits (up to 15 s) until each replica's view of the other matches
   * what the other says it served, tenant by tenant: the exchange lost nothing.
   */
  private Map<String, Object> convergence(List<URI> replicas) throws Exception {
    long start = System.nanoTime();
    long end = start + 15_000_000_000L;
    String mismatch = "";
    while (System.nanoTime() < end) {
      JsonNode a = status(replicas.get(0)).path("tenants");
      JsonNode b = status(replicas.get(1)).path("tenants");
      mismatch = mismatch(a, b) + mismatch(b, a);
      if (mismatch.isEmpty()) {
        return Map.of("converged", true, "seconds", (System.nanoTime() - start) / 1e9);
      }
      Thread.sleep(250);
    }
    return Map.of("converged", false, "mismatch", mismatch);
  }

  /** Where {@code viewer}'s record of the other replica differs from what {@code server} served. */
  private static String mismatch(JsonNode viewer, JsonNode server) {
    StringBuilder out = new StringBuilder();
    for (JsonNode served : server) {
      String tenant = served.path("tenant").asText();
      for (JsonNode seen : viewer) {
        if (!seen.path("tenant").asText().equals(tenant)) {
          continue;
        }
        long in = served.path("served_input_tokens").asLong();
        long outTokens = served.path("served_output_tokens").asLong();
        long seenIn = seen.path("other_replicas_input_tokens").asLong();
        long seenOut = seen.path("other_replicas_output_tokens").asLong();
        if (in != seenIn || outTokens != seenOut) {
          out.append(
              "%s: served %d/%d, seen %d/%d; ".formatted(tenant, in, outTokens, seenIn, seenOut));
        }
      }
    }
    return out.toString();
  }

  /**
   * The backlogged load on the global replicas with Kafka stopped for {@code
   * --kafka-outage-seconds} in the middle: serving must go on (no failed request), the replicas
   * must report local-only VTC meanwhile, share again after the broker's return and, once the load
   * stops, agree on what each served. Empty with {@code --kafka-outage-seconds 0}.
   */
  private Map<String, Object> kafkaOutage(LoopbackMesh mesh, List<URI> replicas) throws Exception {
    int outageSeconds = args.integer("kafka-outage-seconds", 10);
    if (outageSeconds <= 0) {
      return Map.of();
    }
    int recoverySeconds = 15;
    int total = warmupSeconds + outageSeconds + recoverySeconds;
    System.out.printf("[outage] Kafka stopped for %d s in a %d s run%n", outageSeconds, total);
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    List<Thread> threads = start(replicas, backlogged(), total, outcomes);
    Thread.sleep(warmupSeconds * 1000L);
    mesh.stopKafka();
    long stopped = System.nanoTime();
    List<String> during = new ArrayList<>();
    while (System.nanoTime() - stopped < outageSeconds * 1_000_000_000L) {
      Thread.sleep(250);
      collectStates(replicas, during);
    }
    mesh.startKafka();
    long restarted = System.nanoTime();
    // the broker's stop and start take seconds of their own (more on a busy host): the replicas
    // get up to a minute from its return to share again, with or without load (totals are resent)
    double globalAgainSeconds = -1;
    while (globalAgainSeconds < 0 && System.nanoTime() - restarted < 60_000_000_000L) {
      Thread.sleep(250);
      List<String> now = new ArrayList<>();
      collectStates(replicas, now);
      if (now.equals(List.of("global"))) {
        globalAgainSeconds = (System.nanoTime() - restarted) / 1e9;
      }
    }
    for (Thread t : threads) {
      t.join();
    }
    int failed = failures(List.copyOf(outcomes));
    long served = outcomes.stream().filter(o -> o.error() == null).count();
    Map<String, Object> converged = convergence(replicas);
    boolean ok =
        failed == 0
            && during.contains("local-only")
            && globalAgainSeconds >= 0
            && Boolean.TRUE.equals(converged.get("converged"));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("outage_seconds", outageSeconds);
    result.put("requests_served", served);
    result.put("failed_requests", failed);
    result.put("exchange_states_during", during);
    result.put("global_again_after_restart_s", globalAgainSeconds);
    result.put("converged_after_load", converged);
    result.put("ok", ok);
    System.out.printf("[outage] %s%n", result);
    return result;
  }

  private void collectStates(List<URI> replicas, List<String> states) throws Exception {
    for (URI uri : replicas) {
      String state = status(uri).path("fairness").path("exchange").asText();
      if (!states.contains(state)) {
        states.add(state);
      }
    }
  }

  private static String key(String tenant) {
    return "sk-fairness-" + tenant;
  }

  /**
   * Heavy: 75 streams through A, 25 through B; light: 1 through A, 9 through B. Light keeps more
   * requests at B than B has slots, so it stays backlogged there: a tenant whose queue empties is
   * lifted to the others' counters (VTC forgives no idle time) and the gap it had is forgiven.
   */
  private static List<Stream> backlogged() {
    List<Stream> streams = new ArrayList<>();
    add(streams, HEAVY, 0, 75);
    add(streams, HEAVY, 1, 25);
    add(streams, LIGHT, 0, 1);
    add(streams, LIGHT, 1, 9);
    return streams;
  }

  private static List<Stream> lightOnly() {
    return backlogged().stream().filter(s -> s.tenant().equals(LIGHT)).toList();
  }

  private static String streamsDescription() {
    return "heavy 75 via A + 25 via B, light 1 via A + 9 via B (closed loop), metered 2 + 2";
  }

  private static void add(List<Stream> streams, String tenant, int gateway, int n) {
    for (int i = 0; i < n; i++) {
      streams.add(new Stream(tenant, gateway));
    }
  }

  private void warmUp(List<URI> replicas) {
    for (URI uri : replicas) {
      for (String tenant : List.of(HEAVY, LIGHT)) {
        ChatClient client = new ChatClient(uri, key(tenant), Duration.ofMinutes(1));
        ChatClient.Outcome o = client.complete(EXPERT, prompt(new SplittableRandom(1)), maxTokens);
        if (o instanceof ChatClient.Outcome.Failed f) {
          throw new IllegalStateException("warm-up request failed: " + f.reason());
        }
      }
    }
  }

  /** Runs the backlogged load (and the metered tenant when global) and samples the gap. */
  private Run measure(String mode, List<URI> replicas, boolean withMetered) throws Exception {
    List<Stream> streams = new ArrayList<>(backlogged());
    if (withMetered) {
      add(streams, METERED, 0, 2);
      add(streams, METERED, 1, 2);
    }
    int total = warmupSeconds + seconds;
    System.out.printf(
        "[%s] %d streams for %d s (%d s warm-up)%n", mode, streams.size(), total, warmupSeconds);
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    List<Thread> threads = start(replicas, streams, total, outcomes);
    Thread.sleep(warmupSeconds * 1000L);
    Map<String, Double> start = service(replicas);
    long startNanos = System.nanoTime();
    double maxGap = 0;
    long maxRoundTrip = 0;
    List<String> states = new ArrayList<>();
    Map<String, Double> now = start;
    while (System.nanoTime() - startNanos < seconds * 1_000_000_000L) {
      Thread.sleep(250);
      now = service(replicas);
      double heavy = now.get(HEAVY) - start.get(HEAVY);
      double light = now.get(LIGHT) - start.get(LIGHT);
      maxGap = Math.max(maxGap, Math.abs(heavy - light));
      for (URI uri : replicas) {
        JsonNode fairness = status(uri).path("fairness");
        maxRoundTrip = Math.max(maxRoundTrip, fairness.path("usage_round_trip_ms").asLong());
        String state = fairness.path("exchange").asText();
        if (!states.contains(state)) {
          states.add(state);
        }
      }
    }
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double rate = 0;
    for (String tenant : List.of(HEAVY, LIGHT, METERED)) {
      rate += (now.getOrDefault(tenant, 0.0) - start.getOrDefault(tenant, 0.0)) / elapsed;
    }
    for (Thread t : threads) {
      t.join();
    }
    Map<String, Double> served = new LinkedHashMap<>();
    for (String tenant : List.of(HEAVY, LIGHT)) {
      served.put(tenant, now.get(tenant) - start.get(tenant));
    }
    System.out.printf(
        "[%s] max gap %.0f weighted tokens, service %s, %.0f weighted tokens/s, exchange %s%n",
        mode, maxGap, served, rate, states);
    return new Run(maxGap, rate, maxRoundTrip, states, List.copyOf(outcomes), served);
  }

  private List<Outcome> load(List<URI> replicas, List<Stream> streams, int total, int skipSeconds)
      throws InterruptedException {
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    long measureFrom = System.currentTimeMillis() + skipSeconds * 1000L;
    for (Thread t : start(replicas, streams, total, outcomes)) {
      t.join();
    }
    return outcomes.stream().filter(o -> o.startMillis() >= measureFrom).toList();
  }

  /** One virtual thread per stream, each sending requests back to back until {@code total} s. */
  private List<Thread> start(
      List<URI> replicas, List<Stream> streams, int total, ConcurrentLinkedQueue<Outcome> sink) {
    long end = System.nanoTime() + total * 1_000_000_000L;
    AtomicLong seeds = new AtomicLong(17);
    List<Thread> threads = new ArrayList<>();
    for (Stream s : streams) {
      ChatClient client =
          new ChatClient(replicas.get(s.gateway()), key(s.tenant()), Duration.ofMinutes(2));
      SplittableRandom random = new SplittableRandom(seeds.incrementAndGet());
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      long started = System.currentTimeMillis();
                      ChatClient.Outcome o = client.complete(EXPERT, prompt(random), maxTokens);
                      sink.add(outcome(s.tenant(), started, o));
                      if (o instanceof ChatClient.Outcome.Failed) {
                        sleepQuietly(200); // a refused request (the metered tenant) backs off
                      }
                    }
                  }));
    }
    return threads;
  }

  private static Outcome outcome(String tenant, long started, ChatClient.Outcome o) {
    return switch (o) {
      case ChatClient.Outcome.Answered a ->
          new Outcome(tenant, started, a.ttftMs(), a.promptTokens(), a.completionTokens(), null);
      case ChatClient.Outcome.Failed f ->
          new Outcome(tenant, started, Double.NaN, 0, 0, f.reason());
    };
  }

  private static final String[] TOPICS = {
    "a dragon", "the sea", "a lost key", "two friends", "a rainy day", "the moon", "a small dog",
    "a garden", "a train", "an old clock", "a brave cat", "the winter", "a secret door", "a kite"
  };

  /** A short story request; prompts differ so no cache makes one tenant cheaper. */
  private static List<ChatMessage> prompt(SplittableRandom random) {
    String topic = TOPICS[random.nextInt(TOPICS.length)];
    String other = TOPICS[random.nextInt(TOPICS.length)];
    return List.of(
        new ChatMessage(
            Role.USER,
            "Tell me a story about "
                + topic
                + " and "
                + other
                + ", number "
                + random.nextInt(1000)));
  }

  /** Weighted service per tenant over both replicas: Σ (w_p·input + w_q·output) / weight. */
  private Map<String, Double> service(List<URI> replicas) throws Exception {
    Map<String, Double> total = new LinkedHashMap<>();
    for (URI uri : replicas) {
      for (JsonNode t : status(uri).path("tenants")) {
        double weighted =
            (W_P * t.path("served_input_tokens").asLong()
                    + W_Q * t.path("served_output_tokens").asLong())
                / t.path("weight").asDouble(1);
        total.merge(t.path("tenant").asText(), weighted, Double::sum);
      }
    }
    for (String tenant : List.of(HEAVY, LIGHT, METERED)) {
      total.putIfAbsent(tenant, 0.0);
    }
    return total;
  }

  private final HttpClient http = HttpClient.newHttpClient();

  private JsonNode status(URI replica) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(replica.resolve("/mesh/v1/status"))
                .header("Authorization", "Bearer " + LoopbackMesh.API_KEY)
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("status of " + replica + ": HTTP " + r.statusCode());
    }
    return json.readTree(r.body());
  }

  private static List<Outcome> only(List<Outcome> outcomes, String tenant) {
    return outcomes.stream().filter(o -> o.tenant().equals(tenant)).toList();
  }

  private static double p90Ttft(List<Outcome> outcomes) {
    return Stats.percentile(
        outcomes.stream().filter(o -> o.error() == null).mapToDouble(Outcome::ttftMs).toArray(),
        90);
  }

  private static long tokens(List<Outcome> outcomes, String tenant) {
    return only(outcomes, tenant).stream().mapToLong(Outcome::tokens).sum();
  }

  /** Failures of the backlogged tenants: none is expected (the metered tenant's 429s are). */
  private static int failures(List<Outcome> outcomes) {
    int n = 0;
    for (Outcome o : outcomes) {
      if (o.error() != null && !o.tenant().equals(METERED)) {
        if (n < 5) {
          System.err.println("failed: " + o.tenant() + ": " + o.error());
        }
        n++;
      }
    }
    return n;
  }

  @SafeVarargs
  private static int maxPromptTokens(List<Outcome>... runs) {
    int max = 0;
    for (List<Outcome> run : runs) {
      for (Outcome o : run) {
        max = Math.max(max, o.promptTokens());
      }
    }
    return max;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
