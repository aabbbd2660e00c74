package dev.coemesh.pool.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.coemesh.core.expert.ExpertId;
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
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cancelling a prefill while its KV is being written, and resuming a decode after N tokens. */
class CancelAndResumeTest {
  private static final TenantId TENANT = new TenantId("acme");
  private static ContinuousBatcher batcher;

  @BeforeAll
  static void start() {
    batcher =
        new ContinuousBatcher(
            new LlamaEngine(Stories.bin(), EngineOptions.defaults().withThreads(1)),
            SchedulerOptions.defaults());
  }

  @AfterAll
  static void stop() {
    batcher.close();
    batcher.engine().close();
  }

  /** A store whose writes land at once but report completion only when the gate opens. */
  private static final class GatedStore implements KvStore {
    final InMemoryKvStore inner = new InMemoryKvStore(16 << 20);
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final CompletableFuture<Void> writing = new CompletableFuture<>();

    @Override
    public CompletableFuture<Void> putChunks(
        TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl) {
      CompletableFuture<Void> put = inner.putChunks(tenant, request, chunks, ttl);
      writing.complete(null);
      return put.thenCombine(gate, (a, b) -> null);
    }

    @Override
    public CompletableFuture<byte[]> getChunk(TenantId tenant, RequestId request, int index) {
      return inner.getChunk(tenant, request, index);
    }

    @Override
    public CompletableFuture<Void> delete(TenantId tenant, RequestId request, int chunkCount) {
      return inner.delete(tenant, request, chunkCount);
    }

    @Override
    public CompletableFuture<Void> putTable(long id, byte[] table) {
      return inner.putTable(id, table);
    }

    @Override
    public CompletableFuture<byte[]> getTable(long id) {
      return inner.getTable(id);
    }

    @Override
    public void close() {}
  }

  private static GenerationRequest request(int maxTokens) {
    return new GenerationRequest(
        RequestId.random(),
        TENANT,
        new ExpertId("stories"),
        "Once upon a time",
        SamplingParams.greedy(maxTokens),
        Instant.now().plusSeconds(30));
  }

  @Test
  void aPrefillCancelledWhileItsKvIsWrittenDeletesTheKvAndEndsCancelled() throws Exception {
    GatedStore store = new GatedStore();
    PrefillWorker prefill =
        new PrefillWorker(batcher, new CacheGenCodec(), store, fixed(0), 2, Duration.ofMinutes(1));
    GenerationRequest r = request(10);
    PrefillWorker.Prefilling running =
        prefill.start(r, batcher.engine().model().tokenizer().encode(r.prompt(), true));
    store.writing.get(10, TimeUnit.SECONDS);
    running.generation().cancel();
    store.gate.complete(null);

    PrefillResult result = running.result().get(10, TimeUnit.SECONDS);
    assertNull(result.handle());
    assertEquals(
        FinishReason.CANCELLED, assertInstanceOf(TokenEvent.Finished.class, result.end()).reason());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (store.inner.size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, store.inner.size(), "no KV left");
    assertEquals(0, batcher.engine().liveSequences(), "no engine blocks left");
  }

  @Test
  void decodeResumesAfterTheTokensTheClientHasWithTheSameContinuation() throws Exception {
    InMemoryKvStore store = new InMemoryKvStore(16 << 20);
    CacheGenCodec codec = new CacheGenCodec();
    GenerationRequest r = request(30);
    PrefillResult first =
        new PrefillWorker(batcher, codec, store, fixed(0), 4, Duration.ofMinutes(1))
            .prefill(r)
            .get(10, TimeUnit.SECONDS);

    List<Integer> whole = new ArrayList<>();
    CompletableFuture<TokenEvent> colocatedEnd = new CompletableFuture<>();
    batcher.submit(
        new SequenceRequest(first.promptTokens(), r.sampling()),
        e -> {
          if (e instanceof TokenEvent.Token t) {
            whole.add(t.tokenId());
          } else {
            colocatedEnd.complete(e);
          }
        });
    colocatedEnd.get(10, TimeUnit.SECONDS);

    int[] resume = whole.subList(0, 5).stream().mapToInt(Integer::intValue).toArray();
    List<TokenEvent.Token> rest = new ArrayList<>();
    CompletableFuture<TokenEvent> end = new CompletableFuture<>();
    List<FallbackReason> fallbacks = new ArrayList<>();
    try (DecodeWorker decode = new DecodeWorker(batcher, codec, store, Duration.ofSeconds(5))) {
      decode.decode(
          r,
          first,
          resume,
          e -> {
            if (e instanceof TokenEvent.Token t) {
              rest.add(t);
            } else {
              end.complete(e);
            }
          },
          fallbacks::add);
      assertInstanceOf(TokenEvent.Finished.class, end.get(10, TimeUnit.SECONDS));
    }
    assertEquals(
        whole.subList(5, whole.size()), rest.stream().map(TokenEvent.Token::tokenId).toList());
    assertEquals(5, rest.getFirst().index());
    assertEquals(List.of(), fallbacks, "the prompt's KV was imported");
  }

  private static HandoffController fixed(int level) {
    return new HandoffController(HandoffPolicy.fixed(CodecLevel.of(level)));
  }
}
