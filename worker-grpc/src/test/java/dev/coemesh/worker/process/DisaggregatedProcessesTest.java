package dev.coemesh.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.testkit.RedisServer;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.StaticPool;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.LoadReply;
import dev.coemesh.worker.v1.NoKvReason;
import dev.coemesh.worker.v1.PrefillGrpc;
import dev.coemesh.worker.v1.PrefillReply;
import dev.coemesh.worker.v1.PrefillRequest;
import dev.coemesh.worker.v1.TokenIds;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prefill and decode as separate processes handing the KV over through a real redis-server, with
 * the lossless codec. The model is the stories15M-shape synthetic one: slow enough per token that a
 * decode process can be killed while it is still generating.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DisaggregatedProcessesTest {
  private static final TenantId TENANT = new TenantId("acme");

  @TempDir static Path dir;
  private static Path model;
  private static Path tokenizer;
  private static RedisServer redis;
  private static WorkerProcess prefill;
  private static WorkerProcess decode;
  private static StaticPool disaggregated;
  private static StaticPool colocated;

  @BeforeAll
  static void start() throws Exception {
    model = dir.resolve("model.bin");
    tokenizer = dir.resolve("tokenizer.bin");
    new SyntheticModel(SyntheticModel.STORIES_15M, 1).writeLlama2c(model, tokenizer);
    redis = RedisServer.startNew();
    prefill = worker("prefill");
    decode = worker("decode");
    disaggregated = new StaticPool(List.of(), List.of(prefill.client()), List.of(decode.client()));
    colocated = new StaticPool(List.of(decode.client()), List.of(), List.of());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {prefill, decode, redis}) {
      if (c != null) {
        c.close();
      }
    }
    Files.deleteIfExists(model);
    Files.deleteIfExists(tokenizer);
  }

  private static WorkerProcess worker(String role) {
    return WorkerProcess.start(
        role, List.of(), JVM, args(role, "--level", "0"), Duration.ofSeconds(60));
  }

  private static final List<String> JVM = List.of("-Xmx384m", "-XX:+UseSerialGC");

  private static List<String> args(String role, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--role",
                role,
                "--model",
                model.toString(),
                "--tokenizer",
                tokenizer.toString(),
                "--redis",
                redis.uri(),
                "--chunk-tokens",
                "16"));
    args.addAll(List.of(more));
    return args;
  }

  /** BOS, then {@code length - 1} ordinary tokens drawn from a fixed seed. */
  private static int[] prompt(int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return IntStream.range(0, length).map(i -> i == 0 ? 1 : 3 + random.nextInt(31_000)).toArray();
  }

  private static Collected run(boolean split, int[] prompt, SamplingParams sampling)
      throws Exception {
    Collected stream = new Collected();
    if (split) {
      disaggregated.generate(RequestId.random(), TENANT, prompt, sampling, stream);
    } else {
      colocated.generate(RequestId.random(), TENANT, prompt, sampling, stream);
    }
    stream.finished();
    return stream;
  }

  @Test
  @Order(1)
  void greedyOutputIsIdenticalColocatedAndDisaggregatedThroughRedis() throws Exception {
    long shipped = prefill.client().load().getKvLevelsOrThrow("level_0");
    for (int[] prompt : List.of(prompt(5, 1), prompt(40, 2), prompt(100, 3))) {
      Collected together = run(false, prompt, SamplingParams.greedy(12));
      Collected apart = run(true, prompt, SamplingParams.greedy(12));
      assertEquals(12, together.ids().size());
      assertEquals(together.ids(), apart.ids());
      assertEquals(IntStream.range(0, 12).boxed().toList(), apart.indices());
      TokenEvent.Finished f = apart.finished();
      assertTrue(f.timings().ttftMs() > 0 && f.timings().tpotMs() > 0, f.timings().toString());
      assertTrue(f.timings().kvEncodeMs() >= 0 && f.timings().kvDecodeMs() >= 0, "KV was used");
    }
    assertEquals(0, fallbacks(decode.client()), "the lossless KV was used every time");
    LoadReply load = prefill.client().load();
    assertEquals(shipped + 3, load.getKvLevelsOrThrow("level_0"), "--level 0 ships every KV");
    assertEquals(0, load.getKvLevelsOrThrow("text"));
    awaitNoKvAndNoSequences();
  }

  @Test
  @Order(2)
  void killingTheDecodeProcessMidStreamResumesOnAnotherWithTheSameTokens() throws Exception {
    int[] prompt = prompt(30, 4);
    SamplingParams sampling = SamplingParams.greedy(120);
    List<Integer> uninterrupted = run(false, prompt, sampling).ids();

    try (WorkerProcess doomed = worker("decode")) {
      StaticPool client =
          new StaticPool(
              List.of(), List.of(prefill.client()), List.of(doomed.client(), decode.client()));
      CountDownLatch started = new CountDownLatch(5);
      Collected stream = new Collected();
      client.generate(
          RequestId.random(),
          TENANT,
          prompt,
          sampling,
          e -> {
            stream.accept(e);
            started.countDown();
          });
      assertTrue(started.await(60, TimeUnit.SECONDS));
      doomed.kill();
      TokenEvent.Finished f = stream.finished();
      assertEquals(FinishReason.LENGTH, f.reason());
      assertEquals(1, client.failovers(), "the stream moved to the second decode process");
      assertEquals(uninterrupted, stream.ids());
      assertEquals(IntStream.range(0, 120).boxed().toList(), stream.indices());
    }
    awaitNoKvAndNoSequences();
  }

  @Test
  @Order(3)
  void cancellingMidPrefillAndMidDecodeLeavesNoKvAndNoEngineBlocks() throws Exception {
    Collected midDecode = new Collected();
    CountDownLatch some = new CountDownLatch(3);
    var generation =
        disaggregated.generate(
            RequestId.random(),
            TENANT,
            prompt(50, 5),
            SamplingParams.greedy(200),
            e -> {
              midDecode.accept(e);
              some.countDown();
            });
    assertTrue(some.await(60, TimeUnit.SECONDS));
    generation.cancel();
    assertEquals(FinishReason.CANCELLED, midDecode.finished().reason());
    awaitNoKvAndNoSequences();

    Collected midPrefill = new Collected();
    var prefilling =
        disaggregated.generate(
            RequestId.random(), TENANT, prompt(240, 6), SamplingParams.greedy(8), midPrefill);
    // a 240-token prefill runs for tens of milliseconds: poll tightly to cancel inside it
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (prefill.client().load().getLiveSequences() == 0) {
      assertTrue(System.nanoTime() < deadline, "the prefill never reached the engine");
      Thread.onSpinWait();
    }
    prefilling.cancel();
    assertEquals(FinishReason.CANCELLED, midPrefill.finished().reason());
    assertEquals(List.of(), midPrefill.ids());
    awaitNoKvAndNoSequences();
  }

  /**
   * An {@code auto} prefill worker told to assume a store of 1 byte/s (and not to probe it) finds
   * fetching any KV slower than recomputing the prompt: it writes none, says why, and the decode
   * process recomputes, with the colocated output, counting the fallback as predicted_slower.
   */
  @Test
  @Order(4)
  void aPrefillPredictingTheFetchSlowerWritesNoKvAndDecodeRecomputesTheSameTokens()
      throws Exception {
    MeshCredential credential = MeshCredential.random();
    try (WorkerProcess textPrefill =
        WorkerProcess.start(
            "prefill-auto",
            List.of(),
            JVM,
            args(
                "prefill",
                "--level",
                "auto",
                "--assumed-store-mb-per-s",
                "0.000001",
                "--store-probe-interval-s",
                "3600",
                "--calibration-tokens",
                "0",
                "--store-timeout-ms",
                "5000"), // a cold JVM on a loaded machine connects slowly
            Duration.ofSeconds(60),
            credential)) {
      int[] prompt = prompt(100, 8);
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", textPrefill.port())
              .usePlaintext()
              .intercept(MeshCallCredentials.interceptor(credential))
              .build();
      try {
        PrefillReply reply =
            PrefillGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .prefill(
                    PrefillRequest.newBuilder()
                        .setRequest(WorkerMessages.ref(RequestId.random(), TENANT))
                        .setTokenIds(TokenIds.newBuilder().addAllIds(WorkerMessages.list(prompt)))
                        .setSampling(WorkerMessages.sampling(SamplingParams.greedy(10)))
                        .build());
        assertTrue(reply.hasFirst());
        assertFalse(reply.hasKv());
        assertEquals(NoKvReason.NO_KV_PREDICTED_SLOWER, reply.getNoKvReason());
        assertEquals("*0", redis.command("KEYS", "kv:*"), "no KV written");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      List<Integer> expected = run(false, prompt, SamplingParams.greedy(10)).ids();
      long before = decode.client().load().getFallbacksOrThrow("predicted_slower");
      Collected apart = new Collected();
      new StaticPool(List.of(), List.of(textPrefill.client()), List.of(decode.client()))
          .generate(RequestId.random(), TENANT, prompt, SamplingParams.greedy(10), apart);
      apart.finished();
      assertEquals(expected, apart.ids());
      assertEquals(before + 1, decode.client().load().getFallbacksOrThrow("predicted_slower"));
      LoadReply load = textPrefill.client().load();
      assertEquals(2, load.getKvLevelsOrThrow("text"));
      for (int level = 0; level <= 3; level++) {
        assertEquals(0, load.getKvLevelsOrThrow("level_" + level));
      }
    }
    awaitNoKvAndNoSequences();
  }

  @Test
  @Order(5)
  void withRedisStoppedRequestsCompleteThroughTheCountedTextFallback() throws Exception {
    int[] prompt = prompt(40, 7);
    List<Integer> expected = run(false, prompt, SamplingParams.greedy(10)).ids();
    long before = decode.client().load().getFallbacksOrThrow("store_unavailable");
    redis.stop();
    try {
      for (int i = 0; i < 2; i++) {
        assertEquals(expected, run(true, prompt, SamplingParams.greedy(10)).ids());
      }
      assertEquals(2, decode.client().load().getFallbacksOrThrow("store_unavailable") - before);
    } finally {
      redis.start();
    }
  }

  private static long fallbacks(WorkerClient worker) {
    return worker.load().getFallbacksMap().values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * The KV store holds no request's KV (only the codec tables the workers published, once) and
   * neither engine holds a sequence (blocks all returned).
   */
  private static void awaitNoKvAndNoSequences() throws InterruptedException {
    await(
        () -> "*0".equals(redis.command("KEYS", "kv:*")),
        "KV keys left: " + redis.command("KEYS", "kv:*"));
    assertNotEquals("*0", redis.command("KEYS", "kvtable:*"), "calibrated tables were shared");
    for (WorkerProcess w : List.of(prefill, decode)) {
      await(
          () -> w.client().load().getLiveSequences() == 0,
          w + " still holds sequences: " + w.client().load());
      LoadReply load = w.client().load();
      assertEquals(0, load.getRunningSequences(), w.toString());
    }
  }

  private static void await(BooleanSupplier condition, String message) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(message);
      }
      Thread.sleep(20);
    }
  }
}
