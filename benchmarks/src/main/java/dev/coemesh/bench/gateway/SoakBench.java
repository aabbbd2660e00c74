package dev.coemesh.bench.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.coemesh.pool.cli.Args;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * {@code ./mesh bench soak}: the packaged gateway on the embedded default (nine experts on the real
 * model, a fixed and pre-touched 512 MB heap) under a long mix of good, bad, cancelled and long
 * requests at 70% of its measured capacity, sampling what a leak would grow: heap after a full GC,
 * RSS, threads, open files, KV blocks in use, queued requests and requests in flight. Reports each
 * one's slope per hour over the run after its first quarter (warm-up), every status seen, and fails
 * (exit 1) on any 5xx or on anything still held once the load stops.
 *
 * <p>Options: {@code --minutes 10}, {@code --capacity-seconds 20}, {@code --sample-seconds 15},
 * {@code --load 0.7}, {@code --seed 11}, {@code --out FILE}. Loopback only; every loop is bounded
 * by the run's length.
 */
public final class SoakBench {
  private static final String API_KEY = "soak-bench-key";
  private static final Duration REQUEST_BOUND = Duration.ofSeconds(60);

  /** The request classes and their shares of the load. */
  enum Kind {
    GOOD(0.55),
    BAD(0.20),
    CANCELLED(0.15),
    LONG(0.10);

    final double share;

    Kind(double share) {
      this.share = share;
    }
  }

  /** What a sample reads. */
  record Sample(
      double seconds,
      long heapAfterGcBytes,
      long rssBytes,
      long threads,
      long openFiles,
      long kvBlocksUsed,
      long queued,
      long inflight) {}

  private final Args args;
  private final Path root;
  private final Random random;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .executor(Executors.newVirtualThreadPerTaskExecutor())
          .build();
  private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
  private final LongAdder serverErrors = new LongAdder();
  private final List<Long> goodLatenciesMicros =
      java.util.Collections.synchronizedList(new ArrayList<>());

  private URI base;

  SoakBench(Args args) {
    this.args = args;
    this.root = Path.of(System.getProperty("mesh.root", ".")).toAbsolutePath();
    this.random = new Random(args.integer("seed", 11));
  }

  public static void main(String[] argv) throws Exception {
    int exit =
        new SoakBench(
                Args.parse(
                    argv,
                    Set.of(
                        "minutes",
                        "capacity-seconds",
                        "sample-seconds",
                        "load",
                        "seed",
                        "out",
                        "gateway-jar")))
            .run();
    System.exit(exit);
  }

  private int run() throws Exception {
    Path out = Path.of(args.get("out", root.resolve("target/bench/soak.json").toString()));
    Path jar = ChildProcess.packagedGateway(root, args.get("gateway-jar", null), "soak");
    double minutes = args.real("minutes", 10);
    int sampleSeconds = args.integer("sample-seconds", 15);
    double load = args.real("load", 0.7);
    int port = ChildProcess.freePort();
    base = URI.create("http://127.0.0.1:" + port);
    Path work = Files.createDirectories(root.resolve("target/bench/soak-run"));
    List<String> cmd =
        ChildProcess.meshJava(
            "-Xms512m",
            "-Xmx512m",
            // the heap's pages are resident from the start: RSS growth is then native memory only
            "-XX:+AlwaysPreTouch",
            "-Dquarkus.http.port=" + port,
            "-Dquarkus.grpc.server.port=" + ChildProcess.freePort(),
            "-Dquarkus.log.level=WARN",
            "-Dmesh.auth.tenants.default.max-queued=4096",
            "-Dmesh.auth.tenants.default.max-concurrent=64",
            "-jar",
            jar.toString());
    Map<String, Object> report = new LinkedHashMap<>();
    try (ChildProcess gateway =
        new ChildProcess(
            "gateway", cmd, Map.of("MESH_API_KEY", API_KEY), work.resolve("gateway.log"))) {
      gateway.awaitReady(() -> status("/q/health/ready") == 200, 180_000);
      double capacity = capacity(args.integer("capacity-seconds", 20));
      double rate = load * capacity;
      System.out.printf(
          "capacity %.1f good req/s; soaking at %.1f req/s for %.1f min%n",
          capacity, rate, minutes);
      List<Sample> samples = soak(gateway.pid(), rate, minutes, sampleSeconds);
      Sample drained =
          drainedSample(gateway.pid(), samples.isEmpty() ? 0 : samples.getLast().seconds());
      report.put("capacity_good_rps", capacity);
      report.put("rate_rps", rate);
      report.put("minutes", minutes);
      report.put(
          "mix",
          Arrays.stream(Kind.values())
              .collect(
                  java.util.stream.Collectors.toMap(k -> k.name().toLowerCase(), k -> k.share)));
      report.put("statuses", new java.util.TreeMap<>(statuses));
      report.put("server_errors", serverErrors.sum());
      report.put("good_latency_ms", latencies());
      report.put("slopes_per_hour", slopes(samples));
      report.put("after_drain", drained);
      report.put("samples", samples);
      boolean held =
          drained.kvBlocksUsed() != 0 || drained.queued() != 0 || drained.inflight() != 0;
      report.put("verdict", serverErrors.sum() == 0 && !held ? "pass" : "fail");
    }
    Files.createDirectories(out.getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
    System.out.println(
        new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(
                Map.of(
                    "statuses",
                    report.get("statuses"),
                    "slopes_per_hour",
                    report.get("slopes_per_hour"),
                    "after_drain",
                    report.get("after_drain"),
                    "verdict",
                    report.get("verdict"))));
    System.out.println("written " + out);
    return "pass".equals(report.get("verdict")) ? 0 : 1;
  }

  /** Good requests per second from 8 closed-loop clients. */
  private double capacity(int seconds) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    LongAdder done = new LongAdder();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < 8; c++) {
        clients.submit(
            () -> {
              Random own = new Random(random.nextLong());
              while (System.nanoTime() < end) {
                if (send(goodBody(own), false) == 200) {
                  done.increment();
                }
              }
              return null;
            });
      }
    }
    statuses.clear();
    goodLatenciesMicros.clear();
    serverErrors.reset();
    return done.sum() / (double) seconds;
  }

  /**
   * Poisson arrivals at {@code rate} until the end, while a separate thread samples every {@code
   * sampleSeconds}, so the load does not pause for a sample (a paused load would drain and every
   * sample would see nothing in flight).
   */
  private List<Sample> soak(long pid, double rate, double minutes, int sampleSeconds)
      throws Exception {
    long start = System.nanoTime();
    long end = start + (long) (minutes * 60e9);
    List<Sample> samples = java.util.Collections.synchronizedList(new ArrayList<>());
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(
        () -> {
          try {
            samples.add(sample(pid, (System.nanoTime() - start) / 1e9));
          } catch (Exception e) {
            System.err.println("sample failed: " + e);
          }
        },
        0,
        sampleSeconds,
        TimeUnit.SECONDS);
    try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
      long next = start;
      while (true) {
        // Poisson arrivals: exponential gaps at the target rate
        next += (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
        if (next >= end) {
          break;
        }
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        Kind kind = pick();
        long seed = random.nextLong();
        requests.submit(() -> fire(kind, new Random(seed)));
      }
    } finally {
      sampler.shutdown();
      sampler.awaitTermination(60, TimeUnit.SECONDS);
    }
    synchronized (samples) {
      return new ArrayList<>(samples);
    }
  }

  private Kind pick() {
    double u = random.nextDouble();
    for (Kind k : Kind.values()) {
      u -= k.share;
      if (u < 0) {
        return k;
      }
    }
    return Kind.GOOD;
  }

  private Void fire(Kind kind, Random r) throws Exception {
    switch (kind) {
      case GOOD -> send(goodBody(r), false);
      case LONG -> send(longBody(r), true);
      case BAD -> send(badBody(r), false);
      case CANCELLED -> cancelled(r);
    }
    return null;
  }

  private static String goodBody(Random r) {
    return "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + List.of(
                "Tell me a story about a cat.",
                "Why is the sky blue?",
                "Write a poem about rain.",
                "How do I reverse a list in Python?",
                "What is 12 times 7?")
            .get(r.nextInt(5))
        + "\"}],\"max_tokens\":"
        + (16 + r.nextInt(48))
        + "}";
  }

  private static String longBody(Random r) {
    return "{\"model\":\"stories\",\"prompt\":\"Once upon a time "
        + "there was a dog. ".repeat(1 + r.nextInt(40))
        + "\",\"max_tokens\":"
        + (150 + r.nextInt(150))
        + ",\"stream\":true}";
  }

  private static String badBody(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}{}";
      case 1 -> "{\"model\":\"stories\",\"prompt\":\"" + "cat ".repeat(20_000) + "\"}";
      case 2 -> "{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}";
      case 3 -> "{\"model\":\"gpt-9\",\"prompt\":\"hi\"}";
      case 4 -> "{\"prompt\":\"hi\",\"n\":3}";
      default -> "not json at all";
    };
  }

  /** Sends a request; counts its status; good requests' latencies are kept. */
  private int send(String body, boolean stream) {
    long t0 = System.nanoTime();
    int status;
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      base.resolve(
                          body.contains("\"messages\"")
                              ? "/v1/chat/completions"
                              : "/v1/completions"))
                  .timeout(REQUEST_BOUND)
                  .header("content-type", "application/json")
                  .header("authorization", "Bearer " + API_KEY)
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      status = r.statusCode();
      if (status == 200 && stream && !r.body().contains("data: [DONE]")) {
        status = -2; // a stream cut short
      }
    } catch (IOException e) {
      status = -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    statuses.computeIfAbsent(String.valueOf(status), s -> new LongAdder()).increment();
    if (status >= 500 || status < 0) {
      serverErrors.increment();
    }
    if (status == 200 && !stream && body.contains("\"auto\"")) {
      goodLatenciesMicros.add((System.nanoTime() - t0) / 1000);
    }
    return status;
  }

  /** A stream the client abandons after its first bytes, or before any. */
  private void cancelled(Random r) {
    String body =
        "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"stream\":true}";
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + API_KEY
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.getBytes(StandardCharsets.UTF_8).length
                  + "\r\n\r\n"
                  + body)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      if (r.nextBoolean()) {
        InputStream in = s.getInputStream();
        in.read(new byte[256]);
      }
      Thread.sleep(r.nextInt(200));
      statuses.computeIfAbsent("cancelled", k -> new LongAdder()).increment();
    } catch (IOException | InterruptedException e) {
      statuses.computeIfAbsent("cancel-failed", k -> new LongAdder()).increment();
    }
  }

  /** Waits up to 60 s for the load to drain, then samples once more. */
  private Sample drainedSample(long pid, double lastSeconds) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Sample s = sample(pid, lastSeconds);
    while (System.nanoTime() < end
        && (s.inflight() > 0 || s.queued() > 0 || s.kvBlocksUsed() > 0)) {
      Thread.sleep(1000);
      s = sample(pid, lastSeconds);
    }
    return s;
  }

  private Sample sample(long pid, double seconds) throws Exception {
    gc(pid);
    String metrics = get("/q/metrics");
    long heap = (long) sum(metrics, "jvm_memory_used_bytes{area=\"heap\"");
    long kvTotal = (long) sum(metrics, "mesh_expert_kv_blocks{expert=", "state=\"total\"");
    long kvFree = (long) sum(metrics, "mesh_expert_kv_blocks{expert=", "state=\"free\"");
    long queued =
        (long)
            (sum(metrics, "mesh_gateway_fair_waiting{")
                + sum(metrics, "mesh_expert_sequences{expert=", "state=\"waiting\""));
    long inflight = (long) sum(metrics, "mesh_gateway_inflight ");
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    long openFiles;
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      openFiles = fds.count();
    }
    return new Sample(
        Math.round(seconds * 10) / 10.0,
        heap,
        procField(status, "VmRSS") * 1024,
        procField(status, "Threads"),
        openFiles,
        kvTotal - kvFree,
        queued,
        inflight);
  }

  /** A full GC in the gateway, so the heap sample is what survives (jcmd of this JDK). */
  private static void gc(long pid) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  private static long procField(String status, String field) {
    for (String line : status.split("\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).strip().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /**
   * The sum of the Prometheus series whose line starts with {@code prefix} and holds {@code part}.
   */
  private static double sum(String metrics, String prefix, String... parts) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(prefix) && Arrays.stream(parts).allMatch(line::contains)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  /** Least-squares slope per hour of each series over the samples after the first quarter. */
  static Map<String, Double> slopes(List<Sample> samples) {
    List<Sample> steady = samples.subList(samples.size() / 4, samples.size());
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("heap_after_gc_bytes", slope(steady, Sample::heapAfterGcBytes));
    out.put("rss_bytes", slope(steady, Sample::rssBytes));
    out.put("threads", slope(steady, Sample::threads));
    out.put("open_files", slope(steady, Sample::openFiles));
    out.put("kv_blocks_used", slope(steady, Sample::kvBlocksUsed));
    out.put("queued", slope(steady, Sample::queued));
    out.put("inflight", slope(steady, Sample::inflight));
    return out;
  }

  private static double slope(List<Sample> samples, java.util.function.ToLongFunction<Sample> y) {
    int n = samples.size();
    if (n < 2) {
      return Double.NaN;
    }
    double mx = samples.stream().mapToDouble(Sample::seconds).average().orElse(0);
    double my = samples.stream().mapToLong(y).average().orElse(0);
    double num = 0;
    double den = 0;
    for (Sample s : samples) {
      num += (s.seconds() - mx) * (y.applyAsLong(s) - my);
      den += (s.seconds() - mx) * (s.seconds() - mx);
    }
    return den == 0 ? 0 : num / den * 3600;
  }

  private Map<String, Double> latencies() {
    long[] sorted;
    synchronized (goodLatenciesMicros) {
      sorted = goodLatenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("count", (double) sorted.length);
    if (sorted.length > 0) {
      out.put("p50", sorted[sorted.length / 2] / 1000.0);
      out.put("p99", sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1000.0);
    }
    return out;
  }

  private String get(String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private int status(String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception notYet) {
      return -1;
    }
  }
}
