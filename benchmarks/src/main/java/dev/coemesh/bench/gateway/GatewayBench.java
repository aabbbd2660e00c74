package dev.coemesh.bench.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./mesh bench gateway}: what the gateway path (API key auth, VTC admission, routing with
 * the expert pinned by {@code model}, the streaming proxy to an upstream) adds to a request, next
 * to calling the upstream directly, nginx as a plain reverse proxy, and the Portkey gateway, all on
 * loopback in front of the same fixed-reply upstream ({@link FixedReplyUpstream}), measured in one
 * run.
 *
 * <p>Per path: {@code --warmup} requests, then {@code --samples} sequential requests (latency
 * p50/p99), then {@code --workers} closed-loop clients for {@code --seconds} (max requests/s).
 * Every request is the same {@code /v1/completions} call ({@code --stream false} by default; the
 * gateway itself always streams from the upstream and buffers for such a client), and counts only
 * when the whole completion came back. A path that cannot run here is reported with the reason.
 *
 * <p>The gateway runs as its packaged app ({@code gateway/target/quarkus-app/quarkus-run.jar},
 * built by {@code ./mesh bench gateway}) with a routing config whose only expert is the upstream
 * ({@link #routingConfig}); requests pin it by {@code model}, so no prompt is classified.
 */
public final class GatewayBench {
  static final String PINNED_EXPERT = "bench-upstream";
  static final String API_KEY = "bench-key";
  static final String PORTKEY = "@portkey-ai/gateway@1.15.2";

  private final Map<String, String> args;
  private final Path root;
  private final Path work;
  private final Map<String, LoadDriver.Result> results = new LinkedHashMap<>();
  private final Map<String, String> notes = new LinkedHashMap<>();
  private final boolean stream;
  private String stubKind = "";

  private GatewayBench(Map<String, String> args) throws Exception {
    this.args = args;
    this.root = Path.of(System.getProperty("mesh.root", ".")).toAbsolutePath();
    this.work = Files.createTempDirectory("mesh-bench-gateway");
    // Portkey 1.15.2 fails every streamed reply here (TypeError "immutable" appending headers
    // under Node 20), so the default is the non-streaming request, the same on every path
    this.stream = Boolean.parseBoolean(args.getOrDefault("stream", "false"));
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new LinkedHashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + argv[i]);
      }
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    if (argv.length % 2 != 0) {
      throw new IllegalArgumentException("missing value after " + argv[argv.length - 1]);
    }
    new GatewayBench(args).run();
  }

  private int intArg(String name, int dflt) {
    return Integer.parseInt(args.getOrDefault(name, String.valueOf(dflt)));
  }

  private void run() throws Exception {
    int warmup = intArg("warmup", 300);
    int samples = intArg("samples", 2000);
    int workers = intArg("workers", 32);
    Duration window = Duration.ofSeconds(intArg("seconds", 3));
    Path out =
        Path.of(args.getOrDefault("out", root.resolve("target/bench/gateway.json").toString()));

    Path nginx = findOnPath("nginx", "/usr/sbin/nginx");
    AutoCloseable stub;
    int stubPort;
    if (nginx != null) {
      NginxFixedReply n = new NginxFixedReply(nginx, work.resolve("stub"));
      stub = n;
      stubPort = n.port();
      stubKind = "nginx returning the reply from memory";
    } else {
      FixedReplyUpstream v = new FixedReplyUpstream();
      stub = v;
      stubPort = v.port();
      stubKind = "Vert.x in the benchmark JVM (nginx not installed)";
    }
    try (stub) {
      String up = "http://127.0.0.1:" + stubPort;
      String clientBase = stream ? up + "/sse" : up; // /sse/... answers with the SSE stream
      // the first path measured would otherwise pay for the client's JIT warm-up
      try (LoadDriver jit =
          new LoadDriver(
              URI.create(clientBase + "/v1/completions"),
              FixedReplyUpstream.MODEL,
              stream,
              Map.of(),
              workers)) {
        jit.measure(intArg("jit-warmup", 5000), 100, workers, Duration.ofSeconds(1));
      }
      measure(
          "direct",
          () -> null,
          URI.create(clientBase + "/v1/completions"),
          FixedReplyUpstream.MODEL,
          Map.of(),
          warmup,
          samples,
          workers,
          window);
      measureNginx(nginx, stubPort, warmup, samples, workers, window);
      measurePortkey(clientBase, warmup, samples, workers, window);
      // the gateway always streams from its upstream
      measureCoemesh("coemesh", List.of(), up + "/sse", warmup, samples, workers, window);
      if (Boolean.parseBoolean(args.getOrDefault("tracing", "true"))) {
        measureTracing(up + "/sse", warmup, samples, workers, window);
      }
    }
    Map<String, Object> json = report(warmup, samples, workers, window);
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
    System.out.println("wrote " + out);
  }

  /** Starts what serves a path (null: nothing to start), measures it, stops it. */
  private interface Starter {
    ChildProcess start() throws Exception;
  }

  private void measure(
      String path,
      Starter starter,
      URI completions,
      String model,
      Map<String, String> headers,
      int warmup,
      int samples,
      int workers,
      Duration window)
      throws Exception {
    ChildProcess child = null;
    try {
      child = starter.start();
      LoadDriver.Result r;
      try (LoadDriver driver = new LoadDriver(completions, model, stream, headers, workers)) {
        driver.once(); // fails fast with the server's answer if the path does not work
        r = driver.measure(warmup, samples, workers, window);
      }
      results.put(path, r);
      System.out.printf(
          "%-8s p50 %7.3f ms  p99 %7.3f ms  max %8.0f req/s  (%d errors)%n",
          path, r.p50Ms(), r.p99Ms(), r.maxRps(), r.errors());
    } catch (Exception e) {
      notes.put(path, "not measured: " + e);
      System.out.printf("%-8s not measured: %s%n", path, e);
    } finally {
      if (child != null) {
        child.close();
      }
    }
  }

  private void measureNginx(
      Path nginx, int upstreamPort, int warmup, int samples, int workers, Duration window)
      throws Exception {
    if (nginx == null) {
      notes.put("nginx", "not measured: nginx is not installed (apt-get install -y nginx)");
      return;
    }
    int port = ChildProcess.freePort();
    Path prefix = Files.createDirectories(work.resolve("nginx"));
    Files.createDirectories(prefix.resolve("logs"));
    // one worker per core, keep-alive to the upstream, no buffering: a plain streaming proxy
    String conf =
        """
        worker_processes auto;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          keepalive_requests 1000000;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          upstream fixed { server 127.0.0.1:%2$d; keepalive 256; keepalive_requests 1000000; }
          server {
            listen 127.0.0.1:%3$d;
            location / {
              proxy_pass http://fixed;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_buffering off;
            }
          }
        }
        """
            .formatted(prefix, upstreamPort, port);
    Path confFile = prefix.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    measure(
        "nginx",
        () -> {
          ChildProcess p =
              new ChildProcess(
                  "nginx",
                  List.of(
                      nginx.toString(),
                      "-p",
                      prefix.toString(),
                      "-c",
                      confFile.toString(),
                      "-g",
                      "daemon off;"),
                  Map.of(),
                  prefix.resolve("logs/stdout.log"));
          p.awaitReady(() -> ChildProcess.listening(port), 10_000);
          return p;
        },
        URI.create("http://127.0.0.1:" + port + "/v1/completions"),
        FixedReplyUpstream.MODEL,
        Map.of(),
        warmup,
        samples,
        workers,
        window);
  }

  private void measurePortkey(
      String upstream, int warmup, int samples, int workers, Duration window) throws Exception {
    Path dir =
        Path.of(args.getOrDefault("portkey-dir", root.resolve("target/bench/portkey").toString()));
    Path server = dir.resolve("node_modules/@portkey-ai/gateway/build/start-server.js");
    Path node = findOnPath("node", "/usr/bin/node");
    Path npm = findOnPath("npm", "/usr/bin/npm");
    if (node != null && npm != null && !Files.exists(server)) {
      installPortkey(npm, dir);
    }
    if (node == null || !Files.exists(server)) {
      notes.put("portkey", "not measured: needs node and `npm install " + PORTKEY + "` in " + dir);
      return;
    }
    int port = 8787; // Portkey's fixed port
    if (ChildProcess.listening(port)) {
      notes.put("portkey", "not measured: port 8787 is already in use");
      return;
    }
    measure(
        "portkey",
        () -> {
          ChildProcess p =
              new ChildProcess(
                  "portkey",
                  List.of(node.toString(), server.toString()),
                  Map.of(),
                  work.resolve("portkey.log"));
          p.awaitReady(() -> ChildProcess.listening(port), 30_000);
          return p;
        },
        URI.create("http://127.0.0.1:" + port + "/v1/completions"),
        FixedReplyUpstream.MODEL,
        Map.of(
            "x-portkey-provider", "openai",
            "x-portkey-custom-host", upstream + "/v1",
            "Authorization", "Bearer unused"),
        warmup,
        samples,
        workers,
        window);
  }

  /** {@code npm install} of the pinned Portkey version into {@code dir}, bounded in time. */
  private static void installPortkey(Path npm, Path dir) throws Exception {
    Files.createDirectories(dir);
    System.out.println("installing " + PORTKEY + " into " + dir + " (npm)");
    Process p =
        new ProcessBuilder(
                npm.toString(),
                "install",
                "--prefix",
                dir.toString(),
                "--no-audit",
                "--no-fund",
                PORTKEY)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("npm-install.log").toFile())
            .start();
    if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
      p.destroyForcibly();
    }
  }

  /** Traced paths and their sampling ratios (tracing is off on the plain "coemesh" path). */
  static final Map<String, String> TRACED =
      Map.of("coemesh_traced_100", "1.0", "coemesh_traced_10", "0.1");

  /**
   * The gateway with the OpenTelemetry SDK on, sampling every request and one in ten, exporting
   * over OTLP/HTTP to a loopback sink: what tracing adds to the gateway path.
   */
  private void measureTracing(
      String upstream, int warmup, int samples, int workers, Duration window) throws Exception {
    try (OtlpSink sink = new OtlpSink()) {
      for (String path : List.of("coemesh_traced_100", "coemesh_traced_10")) {
        long before = sink.batches();
        measureCoemesh(
            path,
            List.of(
                "-Dquarkus.otel.sdk.disabled=false",
                "-Dquarkus.otel.traces.sampler.arg=" + TRACED.get(path),
                "-Dquarkus.otel.exporter.otlp.traces.protocol=http/protobuf",
                "-Dquarkus.otel.exporter.otlp.traces.endpoint=" + sink.endpoint()),
            upstream,
            warmup,
            samples,
            workers,
            window);
        notes.put(
            path + "_export",
            (sink.batches() - before) + " OTLP batches received by the loopback sink");
      }
      notes.put("otlp_sink_bytes", Long.toString(sink.bytes()));
    }
  }

  private void measureCoemesh(
      String path,
      List<String> properties,
      String upstream,
      int warmup,
      int samples,
      int workers,
      Duration window)
      throws Exception {
    Path jar =
        Path.of(
            args.getOrDefault(
                "gateway-jar",
                root.resolve("gateway/target/quarkus-app/quarkus-run.jar").toString()));
    if (!Files.exists(jar)) {
      notes.put(path, "not measured: " + jar + " is missing (./mvnw -pl gateway -am install)");
      return;
    }
    int port = ChildProcess.freePort();
    List<String> cmd = ChildProcess.meshJava();
    Path routing = work.resolve("bench-routing.yaml");
    Files.writeString(routing, routingConfig(upstream));
    cmd.addAll(
        List.of(
            "-Dquarkus.http.port=" + port,
            "-Dquarkus.log.level=WARN",
            // one tenant, limits out of the way: the bench measures the path, not a 429
            "-Dmesh.auth.tenants.default.max-queued=4096",
            "-Dmesh.auth.tenants.default.max-concurrent=1024",
            "-Dmesh.routing.config=" + routing));
    cmd.addAll(properties);
    cmd.addAll(List.of("-jar", jar.toString()));
    URI models2 = URI.create("http://127.0.0.1:" + port + "/v1/models");
    HttpClient probe = HttpClient.newHttpClient();
    String[] listing = {""};
    measure(
        path,
        () -> {
          ChildProcess p =
              new ChildProcess(
                  "gateway", cmd, Map.of("MESH_API_KEY", API_KEY), work.resolve("gateway.log"));
          p.awaitReady(
              () -> {
                try {
                  HttpResponse<String> r =
                      probe.send(
                          HttpRequest.newBuilder(models2)
                              .header("Authorization", "Bearer " + API_KEY)
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  listing[0] = r.body();
                  return r.statusCode() == 200;
                } catch (Exception notYet) {
                  return false;
                }
              },
              90_000);
          if (!listing[0].contains("\"" + PINNED_EXPERT + "\"")) {
            p.close();
            throw new IllegalStateException(
                "the gateway does not serve the upstream expert '"
                    + PINNED_EXPERT
                    + "'; it lists "
                    + listing[0]);
          }
          return p;
        },
        URI.create("http://127.0.0.1:" + port + "/v1/completions"),
        PINNED_EXPERT,
        Map.of("Authorization", "Bearer " + API_KEY),
        warmup,
        samples,
        workers,
        window);
  }

  /** One upstream expert, the fixed-reply server, pinned by the bench's requests. */
  static String routingConfig(String upstream) {
    return """
        version: 1
        experts:
          - name: %s
            source: {type: upstream, url: "%s", model: %s, max_concurrent: 256}
            context_length: 4096
        routes: {any: %s}
        fallback_expert: %s
        categories:
          - name: any
            examples: [hello, tell me a story, write some code]
        """
        .formatted(PINNED_EXPERT, upstream, FixedReplyUpstream.MODEL, PINNED_EXPERT, PINNED_EXPERT);
  }

  private Map<String, Object> report(int warmup, int samples, int workers, Duration window) {
    LoadDriver.Result direct = results.get("direct");
    Map<String, Object> latency = new LinkedHashMap<>();
    Map<String, Object> added = new LinkedHashMap<>();
    Map<String, Object> rps = new LinkedHashMap<>();
    Map<String, Object> errors = new LinkedHashMap<>();
    List<String> paths =
        List.of("direct", "coemesh", "coemesh_traced_100", "coemesh_traced_10", "nginx", "portkey");
    for (String path : paths) {
      LoadDriver.Result r = results.get(path);
      latency.put(
          path, r == null ? null : Map.of("p50", round(r.p50Ms()), "p99", round(r.p99Ms())));
      rps.put(path, r == null ? null : Math.round(r.maxRps()));
      errors.put(path, r == null ? null : r.errors());
      if (!path.equals("direct")) {
        added.put(
            path,
            r == null || direct == null
                ? null
                : Map.of(
                    "p50", round(r.p50Ms() - direct.p50Ms()),
                    "p99", round(r.p99Ms() - direct.p99Ms())));
      }
    }
    Map<String, Object> ratios = new LinkedHashMap<>();
    LoadDriver.Result coemesh = results.get("coemesh");
    for (String other : List.of("nginx", "portkey")) {
      LoadDriver.Result r = results.get(other);
      if (coemesh != null && r != null && direct != null) {
        double a = coemesh.p50Ms() - direct.p50Ms();
        double b = r.p50Ms() - direct.p50Ms();
        ratios.put("coemesh_vs_" + other + "_added_p50", b > 0 ? round(a / b) : null);
        ratios.put("coemesh_vs_" + other + "_max_rps", round(coemesh.maxRps() / r.maxRps()));
      }
    }
    for (String path : List.of("coemesh", "nginx", "portkey")) {
      LoadDriver.Result r = results.get(path);
      if (r != null && direct != null) {
        ratios.put(path + "_vs_direct_max_rps", round(r.maxRps() / direct.maxRps()));
      }
    }
    for (String traced : TRACED.keySet()) {
      LoadDriver.Result r = results.get(traced);
      if (coemesh != null && r != null && direct != null) {
        ratios.put(
            traced + "_vs_off_added_p50",
            round((r.p50Ms() - direct.p50Ms()) / (coemesh.p50Ms() - direct.p50Ms())));
        ratios.put(traced + "_vs_off_max_rps", round(r.maxRps() / coemesh.maxRps()));
      }
    }
    System.out.println("ratios: " + ratios);
    notes.forEach((k, v) -> System.out.println("note " + k + ": " + v));

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "gateway");
    json.put(
        "setup",
        Map.of(
            "request",
            "POST /v1/completions, stream=" + stream + ", max_tokens=4; fixed 4-token reply",
            "warmup",
            warmup,
            "latency_samples_sequential",
            samples,
            "throughput_workers",
            workers,
            "throughput_seconds",
            window.toSeconds(),
            "upstream_stub",
            stubKind,
            "cores",
            Runtime.getRuntime().availableProcessors(),
            "java",
            System.getProperty("java.version")));
    json.put("latency_ms", latency);
    json.put("added_latency_ms", added);
    json.put("max_rps", rps);
    json.put("errors", errors);
    json.put("ratios", ratios);
    json.put("notes", notes);
    return json;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static Path findOnPath(String name, String fallback) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    Path f = Path.of(fallback);
    return Files.isExecutable(f) ? f : null;
  }
}
