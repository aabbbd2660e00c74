package dev.coemesh.worker.server;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.kv.control.HandoffPolicy;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.synthetic.SyntheticModels;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.auth.MeshCredentialInterceptor;
import dev.coemesh.worker.http.LoopbackDirectory;
import dev.coemesh.worker.http.OpenAiService;
import dev.coemesh.worker.http.PrefillPeers;
import dev.coemesh.worker.http.WorkerHttp;
import dev.coemesh.worker.trace.WorkerTelemetry;
import dev.coemesh.worker.trace.WorkerTracing;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A worker process without a framework: the same handlers as the Quarkus services on a plain
 * grpc-java server. Tests, the disaggregation benchmark and launchers start it as a child process
 * (fast start, pinnable with taskset). Prints {@code LISTENING <port>} once serving. With {@code
 * --lifeline stdin} (the default) it exits when stdin closes, so a parent that dies takes its
 * workers with it; with {@code none} it runs until SIGTERM (a launcher that detaches it). With
 * {@code --kafka} it announces itself as replica {@code <expert>/<role>/<instance>} at {@code
 * <advertise>:<port>} and publishes its load and KV-block events ({@link WorkerAnnouncer}).
 *
 * <p>With {@code --http-port} (its older name {@code --metrics-port} still works) it serves HTTP
 * there ({@link WorkerHttp}): its meters ({@link WorkerMetrics}, and the JVM's memory and CPU) as
 * Prometheus text at {@code /q/metrics}, readiness at {@code /health/ready}, and, on colocated and
 * decode workers, the OpenAI API ({@link OpenAiService}: {@code /v1/completions}, {@code
 * /v1/chat/completions}, {@code /v1/models}), so the pod can be an InferencePool endpoint. It
 * prints {@code METRICS <port>} and {@code HTTP <port>} before {@code LISTENING}; 0 picks a free
 * port. Without it no HTTP is served. {@code --max-body-bytes} (1 MiB) bounds a request body,
 * {@code --default-max-tokens} (256) is a request's limit when it gives none, {@code
 * --prefill-peers} (CIDRs, loopback by default) are the prefill workers a decode worker's {@value
 * OpenAiService#PREFILL_HEADER} header may name.
 *
 * <p>On SIGTERM it stops announcing itself first (routers forget it within their replica expiry);
 * with {@code --drain-s N} it then refuses new calls, gRPC and HTTP alike (a gateway that still
 * places one fails over; readiness turns 503), and lets running ones, streams included, finish for
 * up to N seconds before cancelling what is left (0, the default: cancels at once). A Kubernetes
 * pod gives it a grace period above N.
 *
 * <p>Every worker service requires the mesh credential, read from {@code --credential-file} (a
 * mounted Secret) or else the environment variable {@value MeshCredential#ENV}; with neither the
 * worker prints one line to stderr and exits with status 2 before loading anything.
 *
 * <pre>
 * WorkerServer --role colocated|prefill|decode [--credential-file PATH] [--port 0]
 *   [--bind 127.0.0.1] [--model FILE|synthetic:SHAPE --tokenizer FILE] [--threads 1]
 *   [--kv-blocks 1024] [--max-running 32] [--max-waiting 1024] [--prefill-chunk 512] [--redis redis://127.0.0.1:6379 | memory]
 *   [--level auto|0|1|2|3] [--assumed-store-mb-per-s 1000] [--store-probe-interval-s 30]
 *   [--chunk-tokens 64] [--kv-ttl-s 60] [--store-timeout-ms 500] [--fetch-timeout-ms 2000]
 *   [--lifeline stdin|none] [--expert stories] [--instance ROLE-PORT] [--advertise 127.0.0.1]
 *   [--kafka BOOTSTRAP [--kafka-topic-prefix P]] [--http-port PORT] [--max-body-bytes 1048576]
 *   [--default-max-tokens 256] [--prefill-peers 127.0.0.0/8,::1/128] [--drain-s 0]
 * </pre>
 */
public final class WorkerServer {
  private static final Set<String> OPTIONS =
      Set.of(
          "role",
          "credential-file",
          "port",
          "bind",
          "model",
          "tokenizer",
          "threads",
          "kv-blocks",
          "kv-precision",
          "max-running",
          "max-waiting",
          "prefill-chunk",
          "redis",
          "level",
          "assumed-store-mb-per-s",
          "store-probe-interval-s",
          "chunk-tokens",
          "calibration-tokens",
          "kv-ttl-s",
          "store-timeout-ms",
          "fetch-timeout-ms",
          "lifeline",
          "expert",
          "instance",
          "advertise",
          "kafka",
          "kafka-topic-prefix",
          "http-port",
          "metrics-port",
          "max-body-bytes",
          "default-max-tokens",
          "prefill-peers",
          "drain-s");

  private WorkerServer() {}

  /** A model path, or a {@code synthetic:SHAPE} model materialized where the gateway finds it. */
  private static Path modelFile(String model) {
    return SyntheticModels.isSynthetic(model)
        ? SyntheticModels.materialize(model, SyntheticModels.DEFAULT_CACHE)
        : Path.of(model);
  }

  /** Exit status when the worker cannot start for want of a usable credential. */
  public static final int NO_CREDENTIAL = 2;

  public static void main(String[] argv) throws IOException, InterruptedException {
    Args args = Args.parse(argv, OPTIONS);
    String lifeline = args.get("lifeline", "stdin");
    if (!lifeline.equals("stdin") && !lifeline.equals("none")) {
      throw new IllegalArgumentException("lifeline must be stdin or none, was '" + lifeline + "'");
    }
    String credentialFile = args.get("credential-file", null);
    MeshCredential credential;
    try {
      credential = MeshCredential.load(credentialFile == null ? null : Path.of(credentialFile));
    } catch (MeshException e) {
      System.err.println("worker not started: " + e.getMessage());
      System.exit(NO_CREDENTIAL);
      return;
    }
    String model = args.get("model", null);
    WorkerSettings settings =
        new WorkerSettings(
            WorkerRole.parse(args.required("role")),
            model == null ? SharedModels.file(SharedModels.STORIES_260K_BIN) : modelFile(model),
            model == null
                ? SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)
                : (args.get("tokenizer", null) == null ? null : Path.of(args.get("tokenizer", ""))),
            args.integer("threads", 1),
            args.integer("kv-blocks", 1024),
            KvPrecision.valueOf(args.get("kv-precision", "F16")),
            args.integer("max-running", 32),
            args.integer("prefill-chunk", SchedulerOptions.defaults().maxPrefillTokensPerStep()),
            args.get("redis", "redis://127.0.0.1:6379"),
            new HandoffPolicy(
                HandoffPolicy.parseLevel(args.get("level", HandoffPolicy.AUTO)),
                args.real("assumed-store-mb-per-s", 1000),
                Duration.ofSeconds(args.integer("store-probe-interval-s", 30))),
            args.integer("chunk-tokens", 64),
            args.integer("calibration-tokens", 64),
            Duration.ofSeconds(args.integer("kv-ttl-s", 60)),
            Duration.ofMillis(args.integer("store-timeout-ms", 500)),
            Duration.ofMillis(args.integer("fetch-timeout-ms", 2000)),
            args.integer("max-waiting", SchedulerOptions.defaults().maxWaiting()));
    String bind = args.get("bind", "127.0.0.1");
    WorkerRuntime runtime = WorkerRuntime.start(settings);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    WorkerMetrics metrics = new WorkerMetrics(registry, runtime, args.get("expert", "stories"));
    OpenTelemetrySdk telemetry =
        WorkerTelemetry.fromEnvironment(
            "coemesh-" + settings.role().name().toLowerCase(Locale.ROOT));
    WorkerTracing tracing = WorkerTracing.of(telemetry);
    Server server =
        services(
                NettyServerBuilder.forAddress(new InetSocketAddress(bind, args.integer("port", 0))),
                runtime,
                metrics,
                credential,
                tracing)
            .build()
            .start();
    String httpPort = args.get("http-port", args.get("metrics-port", null));
    LoopbackDirectory loopback =
        httpPort == null
            ? null
            : new LoopbackDirectory(
                loopbackHost(bind),
                server.getPort(),
                credential,
                tracing,
                PrefillPeers.parse(args.get("prefill-peers", PrefillPeers.LOOPBACK)));
    WorkerHttp http =
        httpPort == null
            ? null
            : WorkerHttp.start(
                registry,
                new OpenAiService(
                    runtime,
                    args.get("expert", "stories"),
                    args.integer("default-max-tokens", 256),
                    loopback),
                tracing,
                bind,
                Integer.parseInt(httpPort),
                args.integer("max-body-bytes", 1 << 20));
    WorkerAnnouncer announcer =
        announcer(args, settings.role(), server.getPort(), runtime, metrics);
    Duration drain = Duration.ofSeconds(args.integer("drain-s", 0));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (announcer != null) {
                    announcer.close(); // routers stop hearing of it before it stops serving
                  }
                  if (http != null) {
                    http.drain(); // readiness 503, new API requests 503
                  }
                  long drainEnd = System.nanoTime() + drain.toNanos();
                  drain(server, drain);
                  if (http != null) {
                    awaitIdle(http, Duration.ofNanos(Math.max(0, drainEnd - System.nanoTime())));
                    http.close();
                    loopback.close();
                  }
                  runtime.close();
                  telemetry.close(); // flushes the spans still batched
                }));
    if (http != null) {
      System.out.println("METRICS " + http.port());
      System.out.println("HTTP " + http.port());
    }
    System.out.println("LISTENING " + server.getPort());
    System.out.flush();
    if (lifeline.equals("none")) {
      server.awaitTermination(); // until SIGTERM runs the hook
      return;
    }
    while (System.in.read() >= 0) {
      // a parent keeps stdin open while it wants this worker
    }
    System.exit(0);
  }

  /** The address this process reaches its own gRPC server at. */
  private static String loopbackHost(String bind) {
    return bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]") ? "127.0.0.1" : bind;
  }

  /** Lets the HTTP answers whose generation ended within the drain write their last bytes. */
  private static void awaitIdle(WorkerHttp http, Duration left) {
    try {
      http.awaitIdle(left.plusMillis(200));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Refuses new calls, waits up to {@code drain} for the running ones, then cancels the rest. */
  private static void drain(Server server, Duration drain) {
    if (!drain.isZero()) {
      server.shutdown();
      try {
        server.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    server.shutdownNow();
  }

  /**
   * Adds the worker's services for its role to {@code builder}, behind the credential check, with
   * the caller's trace context read from each call.
   */
  public static NettyServerBuilder services(
      NettyServerBuilder builder,
      WorkerRuntime runtime,
      WorkerMetrics metrics,
      MeshCredential credential,
      WorkerTracing tracing) {
    // interceptors run last-added first: the credential is checked before anything else
    builder
        .intercept(tracing.serverInterceptor())
        .intercept(new MeshCredentialInterceptor(credential))
        .addService(new ColocatedRpc(runtime, metrics, tracing))
        .addService(new StatusRpc(runtime));
    switch (runtime.settings().role()) {
      case COLOCATED -> {}
      case PREFILL -> builder.addService(new PrefillRpc(runtime, metrics, tracing));
      case DECODE -> builder.addService(new DecodeRpc(runtime, metrics, tracing));
    }
    return builder;
  }

  /** Null without {@code --kafka}: the worker then publishes no signals. */
  private static WorkerAnnouncer announcer(
      Args args, WorkerRole role, int port, WorkerRuntime runtime, WorkerMetrics metrics) {
    String bootstrap = args.get("kafka", null);
    if (bootstrap == null) {
      return null;
    }
    String instance = args.get("instance", WorkerAnnouncer.defaultInstance(role, port));
    KafkaSignalOptions options =
        KafkaSignalOptions.of(bootstrap, WorkerAnnouncer.defaultClientId(instance))
            .withTopicPrefix(args.get("kafka-topic-prefix", ""));
    return WorkerAnnouncer.overKafka(
        options,
        WorkerAnnouncer.replicaId(args.get("expert", "stories"), role, instance),
        WorkerAnnouncer.endpoint(args.get("advertise", "127.0.0.1"), port),
        runtime,
        metrics);
  }
}
