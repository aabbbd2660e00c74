package dev.coemesh.gateway.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.ExpertResolver;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.orchestrate.Requests;
import dev.coemesh.gateway.orchestrate.TokenRateLimiter;
import dev.coemesh.gateway.serve.RemotePool;
import dev.coemesh.gateway.serve.WorkerChannels;
import dev.coemesh.gateway.testing.RecordingListener;
import dev.coemesh.gateway.testing.TestRouting;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.control.HandoffPolicy;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.router.Router;
import dev.coemesh.testkit.RedisServer;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.server.WorkerAnnouncer;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRole;
import dev.coemesh.worker.server.WorkerRuntime;
import dev.coemesh.worker.server.WorkerServer;
import dev.coemesh.worker.server.WorkerSettings;
import dev.coemesh.worker.trace.MeshAttributes;
import dev.coemesh.worker.trace.WorkerTracing;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One disaggregated request through the gateway's orchestrator and remote pool onto real worker
 * servers (prefill, two decodes; gRPC over loopback, the KV through a real redis-server), its
 * decode replica killed mid-stream: the trace an in-memory exporter recorded is one tree, from the
 * request's span through routing, the prefill call and its worker stages, to two decode calls, the
 * second a failover that resumes after the tokens already sent. The workers run in this JVM only so
 * that one exporter sees every span; the trace context crosses gRPC metadata as between processes.
 */
class DisaggregatedTraceTest {
  private static final ExpertId CODER = new ExpertId("coder");
  private static final Tenant TENANT = new Tenant(new TenantId("acme"), 1, 8, 4, 0);
  private static final String PROMPT = "Once upon a time, there was a little dog named Max.";
  private static final int MAX_TOKENS = 120;

  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  private static final OpenTelemetrySdk OTEL =
      OpenTelemetrySdk.builder()
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(SPANS))
                  .build())
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();
  private static final WorkerTracing TRACING = WorkerTracing.of(OTEL);
  private static final MeshCredential CREDENTIAL = MeshCredential.random();

  private static final InProcessSignalBus SIGNALS = new InProcessSignalBus(4096);
  private static RedisServer redis;
  private static Router router;
  private static final List<Worker> workers = new ArrayList<>();
  private static WorkerChannels channels;
  private static RemotePool pool;

  /** A worker server in this JVM: what {@code WorkerServer.main} starts, without a process. */
  private record Worker(WorkerRuntime runtime, Server server, WorkerAnnouncer announcer)
      implements AutoCloseable {
    static Worker start(WorkerRole role, String instance) throws IOException {
      WorkerRuntime runtime =
          WorkerRuntime.start(
              new WorkerSettings(
                  role,
                  SharedModels.file(SharedModels.STORIES_260K_BIN),
                  SharedModels.file(SharedModels.STORIES_260K_TOKENIZER),
                  1,
                  256,
                  KvPrecision.F16,
                  8,
                  512,
                  redis.uri(),
                  HandoffPolicy.fixed(CodecLevel.LEVEL_2),
                  64,
                  64,
                  Duration.ofSeconds(60),
                  Duration.ofMillis(500),
                  Duration.ofMillis(2000),
                  WorkerSettings.defaultMaxWaiting()));
      WorkerMetrics metrics = new WorkerMetrics(new SimpleMeterRegistry(), runtime, CODER.value());
      Server server =
          WorkerServer.services(
                  NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                  runtime,
                  metrics,
                  CREDENTIAL,
                  TRACING)
              .build()
              .start();
      WorkerAnnouncer announcer =
          WorkerAnnouncer.start(
              SIGNALS,
              WorkerAnnouncer.replicaId(CODER.value(), role, instance),
              WorkerAnnouncer.endpoint("127.0.0.1", server.getPort()),
              runtime,
              metrics);
      return new Worker(runtime, server, announcer);
    }

    /**
     * Loses its engine: the sequences it runs fail (a retryable error, as a dead process's broken
     * connection is) and it stops reporting. A server shut down in this JVM would instead answer
     * CANCELLED, which the gateway rightly does not retry.
     */
    void kill() {
      announcer.close();
      runtime.close();
    }

    @Override
    public void close() {
      announcer.close();
      server.shutdownNow();
      runtime.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.startNew();
    router = TestRouting.singleExpert(CODER.value(), SIGNALS, "disaggregated", OTEL);
    workers.add(Worker.start(WorkerRole.PREFILL, "prefill-0"));
    workers.add(Worker.start(WorkerRole.DECODE, "decode-0"));
    workers.add(Worker.start(WorkerRole.DECODE, "decode-1"));
    channels = new WorkerChannels(Duration.ofSeconds(30), () -> CREDENTIAL, TRACING);
    pool =
        new RemotePool(
            CODER,
            ModelLoader.load(
                SharedModels.file(SharedModels.STORIES_260K_BIN),
                SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)),
            0,
            router,
            channels,
            8,
            3);
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (router.replicas(CODER).size() < 3) {
      assertTrue(System.nanoTime() < until, "the workers' load reports never reached the router");
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Worker w : workers) {
      w.close();
    }
    channels.close();
    router.close();
    SIGNALS.close();
    redis.close();
    OTEL.close();
  }

  @Test
  void aDisaggregatedRequestWithAFailoverIsOneTrace() throws Exception {
    ExpertDirectory experts = new ExpertDirectory(List.of(pool));
    RequestOrchestrator orchestrator =
        new RequestOrchestrator(
            new ExpertResolver(experts, router),
            new VtcScheduler(
                VtcOptions.defaults(), new BackendCapacity(e -> experts.get(e).capacity())),
            new TokenRateLimiter(),
            new RequestMetrics(new SimpleMeterRegistry()),
            RequestObserver.NONE,
            64,
            Duration.ofMinutes(1),
            OTEL.getTracer("test"),
            false);
    AtomicBoolean killed = new AtomicBoolean();
    AtomicReference<RuntimeException> killFailed = new AtomicReference<>();
    RecordingListener listener =
        new RecordingListener(
            token -> {
              // the decode replica holding the sequence dies after it sent a few tokens; this runs
              // on the client's stream thread, where a throw would cancel the call instead
              if (token.index() < 8 || killed.get()) {
                return;
              }
              try {
                workers.stream()
                    .filter(w -> w.runtime().settings().role() == WorkerRole.DECODE)
                    .filter(w -> w.runtime().batcher().running() > 0)
                    .findFirst()
                    .ifPresent(
                        w -> {
                          if (killed.compareAndSet(false, true)) {
                            w.kill();
                          }
                        });
              } catch (RuntimeException e) {
                killFailed.compareAndSet(null, e);
              }
            });
    orchestrator.start(
        TENANT,
        Requests.greedy("coder", new PromptInput.Text(PROMPT), MAX_TOKENS, List.of()),
        listener);
    listener.await();
    assertNull(killFailed.get(), "killing the decode replica failed");
    assertNull(listener.error, () -> "the request failed: " + listener.error);
    assertTrue(killed.get(), "no decode replica was killed mid-stream");
    assertEquals(FinishReason.LENGTH, listener.reason);
    assertEquals(MAX_TOKENS, listener.tokens.size());
    for (int i = 0; i < MAX_TOKENS; i++) {
      assertEquals(i, listener.tokens.get(i).index(), "a token is missing or duplicated");
    }

    List<SpanData> spans = awaitSpans();
    TraceDump.write(spans, Path.of("target", "trace", "disaggregated-failover.txt"));
    SpanData root = only(spans, "text_completion coder");
    assertEquals(1, spans.stream().map(SpanData::getTraceId).distinct().count(), "one trace");
    assertEquals("text_completion", root.getAttributes().get(MeshAttributes.OPERATION));
    assertEquals("coder", root.getAttributes().get(MeshAttributes.REQUEST_MODEL));
    assertEquals("coder", root.getAttributes().get(MeshAttributes.RESPONSE_MODEL));
    assertEquals("disaggregated", root.getAttributes().get(MeshAttributes.PLACEMENT));
    assertEquals("acme", root.getAttributes().get(MeshAttributes.TENANT));
    assertEquals((long) MAX_TOKENS, root.getAttributes().get(MeshAttributes.OUTPUT_TOKENS));
    assertEquals(List.of("length"), root.getAttributes().get(MeshAttributes.FINISH_REASONS));
    assertNotNull(root.getAttributes().get(MeshAttributes.INPUT_TOKENS));
    assertEquals(StatusCode.UNSET, root.getStatus().getStatusCode());

    only(children(spans, root), "router.classify");
    assertTrue(
        named(children(spans, root), "router.route").size() >= 2,
        "the first placement and the failover's are both routing decisions");

    SpanData prefillCall = only(children(spans, root), "call.prefill");
    assertEquals(SpanKind.CLIENT, prefillCall.getKind());
    assertEquals("2", prefillCall.getAttributes().get(MeshAttributes.CODEC_LEVEL));
    SpanData prefill = only(children(spans, prefillCall), "worker.prefill");
    assertEquals(SpanKind.SERVER, prefill.getKind());
    assertEquals("acme", prefill.getAttributes().get(MeshAttributes.TENANT));
    long raw = prefill.getAttributes().get(MeshAttributes.KV_BYTES_RAW);
    long encoded = prefill.getAttributes().get(MeshAttributes.KV_BYTES_ENCODED);
    assertTrue(encoded > 0 && encoded < raw, () -> "level 2 compresses: " + encoded + " of " + raw);
    assertEquals(
        Set.of("engine.prefill", "kv.encode", "kv.store"), names(children(spans, prefill)));

    List<SpanData> decodeCalls = named(children(spans, root), "call.decode");
    assertEquals(2, decodeCalls.size(), "the killed decode call and its failover");
    decodeCalls.sort((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()));
    SpanData failed = decodeCalls.get(0);
    SpanData failover = decodeCalls.get(1);
    assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
    assertNotNull(failed.getAttributes().get(MeshAttributes.ERROR_TYPE));
    assertNull(failed.getAttributes().get(MeshAttributes.FAILOVER_FROM));
    assertEquals(
        failed.getAttributes().get(MeshAttributes.ERROR_TYPE),
        failover.getAttributes().get(MeshAttributes.FAILOVER_FROM));
    assertTrue(failover.getAttributes().get(MeshAttributes.RESUMED_TOKENS) >= 9);
    assertEquals(StatusCode.UNSET, failover.getStatus().getStatusCode());
    assertFalse(
        failed
            .getAttributes()
            .get(MeshAttributes.REPLICA)
            .equals(failover.getAttributes().get(MeshAttributes.REPLICA)),
        "the failover runs on the other decode replica");

    SpanData resumed = only(children(spans, failover), "worker.decode");
    assertEquals(SpanKind.SERVER, resumed.getKind());
    SpanData steps = only(children(spans, resumed), "decode.steps");
    assertFalse(steps.getEvents().isEmpty(), "decode steps carry events, not a span per token");
    assertEquals("first_token", steps.getEvents().getFirst().getName());
    assertTrue(
        steps.getEvents().size() < MAX_TOKENS / 4, "tokens are marked sparsely, not one by one");
    only(children(spans, failed), "worker.decode");

    for (SpanData span : spans) {
      span.getAttributes()
          .forEach(
              (key, value) ->
                  assertFalse(
                      String.valueOf(value).contains("little dog"),
                      () -> span.getName() + " carries prompt text in " + key));
    }
  }

  /** Waits for both worker decode spans (the killed one ends when its engine hears the cancel). */
  private static List<SpanData> awaitSpans() throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      List<SpanData> spans = new ArrayList<>(SPANS.getFinishedSpanItems());
      if (named(spans, "worker.decode").size() >= 2
          && !named(spans, "text_completion coder").isEmpty()) {
        return spans;
      }
      assertTrue(System.nanoTime() < until, () -> "spans so far: " + names(spans));
      Thread.sleep(50);
    }
  }

  private static List<SpanData> children(List<SpanData> spans, SpanData parent) {
    return spans.stream()
        .filter(s -> s.getParentSpanId().equals(parent.getSpanId()))
        .collect(Collectors.toCollection(ArrayList::new));
  }

  private static List<SpanData> named(List<SpanData> spans, String name) {
    return spans.stream()
        .filter(s -> s.getName().equals(name))
        .collect(Collectors.toCollection(ArrayList::new));
  }

  private static SpanData only(List<SpanData> spans, String name) {
    List<SpanData> found = named(spans, name);
    assertEquals(1, found.size(), () -> "one " + name + " among " + names(spans));
    return found.getFirst();
  }

  private static Set<String> names(List<SpanData> spans) {
    return spans.stream().map(SpanData::getName).collect(Collectors.toSet());
  }
}
