package dev.coemesh.pool.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.control.HandoffController;
import dev.coemesh.kv.control.HandoffPolicy;
import dev.coemesh.kv.store.InMemoryKvStore;
import dev.coemesh.kv.store.RedisKvStore;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.scheduler.SequenceRequest;
import dev.coemesh.testkit.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prefill and decode on separate engines (as separate replicas would be), handing the KV over
 * through a real store: the output equals colocated serving token for token.
 */
class DisaggregatedServingTest {
  private static final TenantId TENANT = new TenantId("acme");
  private static Model model;
  private static ContinuousBatcher colocated;
  private static ContinuousBatcher prefillSide;
  private static ContinuousBatcher decodeSide;

  @BeforeAll
  static void start() {
    model = Stories.bin();
    colocated = batcher();
    prefillSide = batcher();
    decodeSide = batcher();
  }

  @AfterAll
  static void stop() {
    for (ContinuousBatcher b : List.of(colocated, prefillSide, decodeSide)) {
      b.close();
      b.engine().close();
    }
  }

  private static ContinuousBatcher batcher() {
    return new ContinuousBatcher(
        new LlamaEngine(model, EngineOptions.defaults().withThreads(1).withKvBlocks(128)),
        SchedulerOptions.defaults());
  }

  private static GenerationRequest request(String prompt, SamplingParams sampling) {
    return request(TENANT, prompt, sampling);
  }

  /**
   * A request of {@code tenant}: the tenant scopes the decode engine's prefix cache, so a test that
   * imports lossy KV gives it a tenant of its own and later tests do not reuse those blocks.
   */
  private static GenerationRequest request(
      TenantId tenant, String prompt, SamplingParams sampling) {
    return new GenerationRequest(
        RequestId.random(),
        tenant,
        new ExpertId("stories"),
        prompt,
        sampling,
        Instant.now().plusSeconds(60));
  }

  private static List<Integer> colocatedTokens(GenerationRequest r) throws Exception {
    List<Integer> ids = new ArrayList<>();
    CompletableFuture<TokenEvent> end = new CompletableFuture<>();
    colocated.submit(
        new SequenceRequest(model.tokenizer().encode(r.prompt(), true), r.sampling()),
        e -> {
          if (e instanceof TokenEvent.Token t) {
            ids.add(t.tokenId());
          } else {
            end.complete(e);
          }
        });
    assertInstanceOf(TokenEvent.Finished.class, end.get(60, TimeUnit.SECONDS));
    return ids;
  }

  /** Runs prefill then decode; returns the token ids the client would see. */
  private static List<Integer> disaggregated(
      PrefillWorker prefill, DecodeWorker decode, GenerationRequest r) throws Exception {
    return disaggregated(decode, r, prefill.prefill(r).get(60, TimeUnit.SECONDS));
  }

  /** Decodes after {@code first}; returns the token ids the client would see. */
  private static List<Integer> disaggregated(
      DecodeWorker decode, GenerationRequest r, PrefillResult first) throws Exception {
    List<Integer> ids = new ArrayList<>();
    ids.add(first.first().tokenId());
    CompletableFuture<TokenEvent> end = new CompletableFuture<>();
    decode.decode(
        r,
        first,
        e -> {
          if (e instanceof TokenEvent.Token t) {
            ids.add(t.tokenId());
          } else {
            end.complete(e);
          }
        });
    TokenEvent.Finished f =
        assertInstanceOf(TokenEvent.Finished.class, end.get(60, TimeUnit.SECONDS));
    assertEquals(ids.size(), f.usage().completionTokens());
    return ids;
  }

  private static final Duration TTL = Duration.ofMinutes(1);

  private static final String[] PROMPTS = {
    "Once upon a time", "Tom had a big red ball and a small dog", "The sun"
  };
  private static final SamplingParams[] SAMPLINGS = {
    SamplingParams.greedy(40), new SamplingParams(0.8, 40, 0.95, 77, 40, List.of(), List.of(), -1),
  };

  @Test
  void losslessHandoffThroughTheInMemoryStoreMatchesColocatedOutput() throws Exception {
    InMemoryKvStore store = new InMemoryKvStore(64 << 20);
    CacheGenCodec codec = new CacheGenCodec();
    PrefillWorker prefill =
        new PrefillWorker(prefillSide, codec, store, fixed(0), 16, Duration.ofMinutes(1));
    try (DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(5))) {
      for (String prompt : PROMPTS) {
        for (SamplingParams sampling : SAMPLINGS) {
          GenerationRequest r = request(prompt, sampling);
          assertEquals(
              colocatedTokens(r), disaggregated(prefill, decode, r), prompt + " " + sampling);
        }
      }
      assertEquals(
          0,
          decode.fallbacks(FallbackReason.KV_MISSING)
              + decode.fallbacks(FallbackReason.KV_CORRUPT));
    }
    awaitEmpty(store);
  }

  @Test
  void throughARealRedisAndWithRedisStoppedTheOutputIsTheSame() throws Exception {
    CacheGenCodec codec = new CacheGenCodec();
    try (RedisServer redis = RedisServer.startNew();
        KvStore store = new RedisKvStore(redis.uri(), Duration.ofMillis(500));
        DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(2))) {
      PrefillWorker prefill =
          new PrefillWorker(prefillSide, codec, store, fixed(0), 16, Duration.ofMinutes(1));
      GenerationRequest r = request(PROMPTS[1], SAMPLINGS[0]);
      List<Integer> expected = colocatedTokens(r);
      assertEquals(expected, disaggregated(prefill, decode, r));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (!":0".equals(redis.command("DBSIZE")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(":0", redis.command("DBSIZE"), "the KV is deleted once consumed");

      redis.stop();
      GenerationRequest again = request(PROMPTS[1], SAMPLINGS[0]);
      PrefillResult noStore = prefill.prefill(again).get(30, TimeUnit.SECONDS);
      assertNull(noStore.handle());
      assertEquals(expected, disaggregated(prefill, decode, again));
      assertEquals(
          1, decode.fallbacks(FallbackReason.STORE_UNAVAILABLE), "counted as a text fallback");
    }
  }

  @Test
  void missingKvIsRecomputedAndCounted() throws Exception {
    InMemoryKvStore store = new InMemoryKvStore(64 << 20);
    CacheGenCodec codec = new CacheGenCodec();
    PrefillWorker prefill =
        new PrefillWorker(prefillSide, codec, store, fixed(2), 16, Duration.ofMinutes(1));
    try (DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(5))) {
      GenerationRequest r = request(PROMPTS[0], SAMPLINGS[0]);
      PrefillResult first = prefill.prefill(r).get(30, TimeUnit.SECONDS);
      assertNotNull(first.handle());
      store.delete(TENANT, r.id(), first.handle().chunks()).get();
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      decode.decode(
          r,
          first,
          e -> {
            if (!(e instanceof TokenEvent.Token)) {
              end.complete(e);
            }
          });
      assertInstanceOf(TokenEvent.Finished.class, end.get(30, TimeUnit.SECONDS));
      assertEquals(1, decode.fallbacks(FallbackReason.KV_MISSING));
    }
  }

  private static final String LONG_PROMPT =
      "Tom had a big red ball and a small dog. The dog liked to run after the ball. ".repeat(6);

  private static HandoffController auto() {
    return new HandoffController(new HandoffPolicy(Optional.empty(), 1000, Duration.ofMinutes(10)));
  }

  private static void awaitDbsize(RedisServer redis, int keys) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!(":" + keys).equals(redis.command("DBSIZE")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(":" + keys, redis.command("DBSIZE"));
  }

  @Test
  void automaticLevelOverRealRedisShipsALongPromptAtTheChosenLevelAndCountsIt() throws Exception {
    CacheGenCodec codec = new CacheGenCodec();
    try (RedisServer redis = RedisServer.startNew();
        KvStore store = new RedisKvStore(redis.uri(), Duration.ofMillis(500));
        DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(5))) {
      HandoffController handoff = auto();
      PrefillWorker prefill = new PrefillWorker(prefillSide, codec, store, handoff, 16, TTL);
      GenerationRequest r = request(new TenantId("lossy"), LONG_PROMPT, SamplingParams.greedy(20));
      PrefillResult first = prefill.prefill(r).get(60, TimeUnit.SECONDS);

      // before any write is measured the assumed 1000 MB/s makes the best level fit
      KvHandle handle = assertInstanceOf(KvHandoff.Stored.class, first.kv()).handle();
      assertEquals(CodecLevel.LEVEL_3.id(), handle.level());
      assertEquals(first.promptTokens().length, handle.tokens());
      assertEquals(1, handoff.decisions(CodecLevel.LEVEL_3));
      assertEquals(0, handoff.textDecisions());
      assertEquals(":" + (handle.chunks() + 1), redis.command("DBSIZE"), "chunks and metadata");
      assertTrue(first.encodeMs() > 0 && first.storeMs() > 0);

      int tokens = disaggregated(decode, r, first).size(); // lossy KV: may meet EOS sooner
      assertTrue(tokens >= 1 && tokens <= 20, tokens + " tokens");
      for (FallbackReason reason : FallbackReason.values()) {
        assertEquals(0, decode.fallbacks(reason), reason.name());
      }
      awaitDbsize(redis, 0);
    }
  }

  /** The real Redis store, with every write taking {@code delayMs} longer. */
  private record SlowWrites(KvStore store, long delayMs, AtomicInteger writes) implements KvStore {
    @Override
    public CompletableFuture<Void> putChunks(
        TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl) {
      writes.incrementAndGet();
      return CompletableFuture.supplyAsync(
              () -> null, CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS))
          .thenCompose(ignored -> store.putChunks(tenant, request, chunks, ttl));
    }

    @Override
    public CompletableFuture<byte[]> getChunk(TenantId tenant, RequestId request, int index) {
      return store.getChunk(tenant, request, index);
    }

    @Override
    public CompletableFuture<Void> delete(TenantId tenant, RequestId request, int chunkCount) {
      return store.delete(tenant, request, chunkCount);
    }

    @Override
    public CompletableFuture<Void> putTable(long id, byte[] table) {
      return store.putTable(id, table);
    }

    @Override
    public CompletableFuture<byte[]> getTable(long id) {
      return store.getTable(id);
    }

    @Override
    public void close() {
      store.close();
    }
  }

  @Test
  void whenTheStoreIsMeasuredSlowPrefillWritesNothingAndDecodeRecomputesTheSameOutput()
      throws Exception {
    CacheGenCodec codec = new CacheGenCodec();
    AtomicInteger writes = new AtomicInteger();
    try (RedisServer redis = RedisServer.startNew();
        KvStore store =
            new SlowWrites(new RedisKvStore(redis.uri(), Duration.ofMillis(500)), 1500, writes);
        DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(5))) {
      HandoffController handoff = auto();
      PrefillWorker prefill = new PrefillWorker(prefillSide, codec, store, handoff, 16, TTL);
      // the first KV ships (nothing measured yet) and its write measures a store of < 100 bytes/ms
      TenantId tenant = new TenantId("text");
      GenerationRequest warmUp = request(tenant, PROMPTS[0], SamplingParams.greedy(5));
      PrefillResult shipped = prefill.prefill(warmUp).get(60, TimeUnit.SECONDS);
      assertInstanceOf(KvHandoff.Stored.class, shipped.kv());
      disaggregated(decode, warmUp, shipped);
      awaitDbsize(redis, 0);
      assertTrue(handoff.bandwidthBytesPerMs() < 100, handoff.bandwidthBytesPerMs() + " bytes/ms");

      // a few KB at < 100 bytes/ms, written and read: seconds, against a prefill of milliseconds
      GenerationRequest r = request(tenant, LONG_PROMPT, SamplingParams.greedy(30));
      PrefillResult text = prefill.prefill(r).get(60, TimeUnit.SECONDS);
      assertEquals(
          new KvHandoff.Recompute(FallbackReason.PREDICTED_SLOWER),
          text.kv(),
          "fetching predicted slower than recomputing");
      assertNull(text.handle());
      assertEquals(1, writes.get(), "no write for the text decision");
      assertEquals(":0", redis.command("DBSIZE"), "no KV in Redis");
      assertEquals(1, handoff.textDecisions());
      assertEquals(1, handoff.decisions(CodecLevel.LEVEL_3));

      assertEquals(colocatedTokens(r), disaggregated(decode, r, text));
      assertEquals(1, decode.fallbacks(FallbackReason.PREDICTED_SLOWER));
      assertEquals(0, decode.fallbacks(FallbackReason.STORE_UNAVAILABLE));
      assertEquals(0, decode.fallbacks(FallbackReason.KV_MISSING));
    }
  }

  @Test
  void cancellingMidDecodeLeavesNoKvAndNoBlocks() throws Exception {
    InMemoryKvStore store = new InMemoryKvStore(64 << 20);
    CacheGenCodec codec = new CacheGenCodec();
    PrefillWorker prefill =
        new PrefillWorker(prefillSide, codec, store, fixed(0), 16, Duration.ofMinutes(1));
    try (DecodeWorker decode = new DecodeWorker(decodeSide, codec, store, Duration.ofSeconds(5))) {
      GenerationRequest r = request(PROMPTS[0], SamplingParams.greedy(400));
      PrefillResult first = prefill.prefill(r).get(30, TimeUnit.SECONDS);
      CountDownLatch some = new CountDownLatch(3);
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      var generation =
          decode.decode(
              r,
              first,
              e -> {
                if (e instanceof TokenEvent.Token) {
                  some.countDown();
                } else {
                  end.complete(e);
                }
              });
      assertTrue(some.await(30, TimeUnit.SECONDS));
      generation.cancel();
      TokenEvent.Finished f =
          assertInstanceOf(TokenEvent.Finished.class, end.get(30, TimeUnit.SECONDS));
      assertEquals(FinishReason.CANCELLED, f.reason());
    }
    awaitEmpty(store);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (decodeSide.engine().liveSequences() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, decodeSide.engine().liveSequences());
    assertEquals(0, prefillSide.engine().liveSequences());
  }

  private static void awaitEmpty(InMemoryKvStore store) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (store.size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, store.size(), "no KV left in the store");
  }

  private static HandoffController fixed(int level) {
    return new HandoffController(HandoffPolicy.fixed(CodecLevel.of(level)));
  }
}
