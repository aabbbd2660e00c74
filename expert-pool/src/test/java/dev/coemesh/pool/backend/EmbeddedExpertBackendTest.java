package dev.coemesh.pool.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EmbeddedExpertBackendTest {
  private static final ExpertId STORIES = new ExpertId("stories");

  private static GenerationRequest request(String prompt, int maxTokens, Instant deadline) {
    return new GenerationRequest(
        RequestId.random(),
        new TenantId("acme"),
        STORIES,
        prompt,
        SamplingParams.greedy(maxTokens),
        deadline);
  }

  @Test
  void servesAPromptAndPublishesItsCachedBlocks() throws Exception {
    try (InProcessSignalBus bus = new InProcessSignalBus(1024);
        EmbeddedExpertBackend backend =
            new EmbeddedExpertBackend(
                STORIES,
                Stories.bin(),
                EngineOptions.defaults().withKvBlocks(64),
                SchedulerOptions.defaults(),
                new ReplicaId(STORIES, ReplicaRole.COLOCATED, "local-0"),
                bus)) {
      List<Long> stored = new CopyOnWriteArrayList<>();
      bus.subscribe(
          SignalEvent.KvBlockEvent.class,
          e -> {
            if (e.kind() == SignalEvent.KvBlockEvent.Kind.STORED) {
              stored.addAll(e.blockHashes());
            }
          });
      StringBuilder text = new StringBuilder();
      List<Integer> generated = new CopyOnWriteArrayList<>();
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      backend.submit(
          request("Once upon a time", 40, Instant.now().plusSeconds(60)),
          e -> {
            switch (e) {
              case TokenEvent.Token t -> {
                text.append(t.text());
                generated.add(t.tokenId());
              }
              default -> end.complete(e);
            }
          });
      TokenEvent.Finished f =
          assertInstanceOf(TokenEvent.Finished.class, end.get(30, TimeUnit.SECONDS));
      assertEquals(FinishReason.LENGTH, f.reason());
      assertEquals(5, f.usage().promptTokens());
      assertTrue(
          text.toString().startsWith(", there was a little girl named Lily"), text.toString());
      assertEquals(backend.countTokens("Once upon a time"), 5);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (stored.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(
          2, stored.size(), "5 prompt + 40 generated = 45 positions = 2 full blocks of 16");
      int[] tokens = new int[45];
      System.arraycopy(Stories.bin().tokenizer().encode("Once upon a time", true), 0, tokens, 0, 5);
      System.arraycopy(generated.stream().mapToInt(Integer::intValue).toArray(), 0, tokens, 5, 40);
      assertEquals(
          Arrays.stream(BlockHashes.chain(BlockHashes.root("acme"), tokens, 45, 16))
              .boxed()
              .toList(),
          stored,
          "the routers' hashes of the same tokens, in the tenant's cache scope");
      assertEquals(64, backend.capacity().totalKvBlocks());
    }
  }

  private static final String LONG_PROMPT =
      "Once upon a time, there was a little girl named Lily. She loved to play outside.";

  private static GenerationRequest scoped(String tenant, int[] tokens, long prefixRoot) {
    return new GenerationRequest(
        RequestId.random(),
        new TenantId(tenant),
        STORIES,
        "the ids are used, this text is not",
        tokens,
        prefixRoot,
        SamplingParams.greedy(4),
        Instant.now().plusSeconds(60));
  }

  private static TokenEvent.Finished finish(EmbeddedExpertBackend backend, GenerationRequest r)
      throws Exception {
    CompletableFuture<TokenEvent> end = new CompletableFuture<>();
    backend.submit(
        r,
        e -> {
          if (!(e instanceof TokenEvent.Token)) {
            end.complete(e);
          }
        });
    return assertInstanceOf(TokenEvent.Finished.class, end.get(30, TimeUnit.SECONDS));
  }

  @Test
  void cachedPrefixesAreReusedWithinATenantAndAcrossTenantsOnlyUnderTheSharedRoot()
      throws Exception {
    try (InProcessSignalBus bus = new InProcessSignalBus(1024);
        EmbeddedExpertBackend backend =
            new EmbeddedExpertBackend(
                STORIES,
                Stories.bin(),
                EngineOptions.defaults().withKvBlocks(64),
                SchedulerOptions.defaults(),
                new ReplicaId(STORIES, ReplicaRole.COLOCATED, "local-0"),
                bus)) {
      List<Long> stored = new CopyOnWriteArrayList<>();
      bus.subscribe(
          SignalEvent.KvBlockEvent.class,
          e -> {
            if (e.kind() == SignalEvent.KvBlockEvent.Kind.STORED) {
              stored.addAll(e.blockHashes());
            }
          });
      int[] prompt = Stories.bin().tokenizer().encode(LONG_PROMPT, true);
      int fullBlocks = (prompt.length - 1) / 16;
      assertTrue(fullBlocks >= 1, "the prompt spans a full block: " + prompt.length);
      long acme = BlockHashes.root("acme");
      long globex = BlockHashes.root("globex");

      TokenEvent.Finished first = finish(backend, scoped("acme", prompt, acme));
      assertEquals(prompt.length, first.usage().promptTokens(), "the gateway's ids, as they are");
      assertEquals(0, first.usage().cachedPromptTokens());
      assertEquals(
          fullBlocks * 16,
          finish(backend, scoped("acme", prompt, acme)).usage().cachedPromptTokens(),
          "the same tenant reuses its prefix");
      assertEquals(
          0,
          finish(backend, scoped("globex", prompt, globex)).usage().cachedPromptTokens(),
          "another tenant does not");

      assertEquals(
          0,
          finish(backend, scoped("acme", prompt, BlockHashes.ROOT)).usage().cachedPromptTokens());
      assertEquals(
          fullBlocks * 16,
          finish(backend, scoped("globex", prompt, BlockHashes.ROOT)).usage().cachedPromptTokens(),
          "a shared prefix is reused across tenants");

      long deadline = System.nanoTime() + 5_000_000_000L;
      long acmeFirst = BlockHashes.chain(acme, prompt, prompt.length, 16)[0];
      while (!stored.contains(acmeFirst) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(stored.contains(acmeFirst), "events name the tenant-scoped hashes: " + stored);
      assertTrue(stored.contains(BlockHashes.chain(globex, prompt, prompt.length, 16)[0]));
      assertTrue(
          stored.contains(BlockHashes.chain(prompt, prompt.length, 16)[0]), "and the shared ones");
    }
  }

  @Test
  void reportsItsLoadPeriodicallyWithTheBlocksARunningSequenceHolds() throws Exception {
    ReplicaId replica = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "local-0");
    try (InProcessSignalBus bus = new InProcessSignalBus(1024);
        EmbeddedExpertBackend backend =
            new EmbeddedExpertBackend(
                STORIES,
                Stories.bin(),
                EngineOptions.defaults().withKvBlocks(64),
                SchedulerOptions.defaults(),
                replica,
                bus,
                Duration.ofMillis(1))) {
      List<SignalEvent.LoadReport> reports = new CopyOnWriteArrayList<>();
      bus.subscribe(SignalEvent.LoadReport.class, reports::add);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (reports.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      SignalEvent.LoadReport idle = reports.getFirst();
      assertEquals(replica, idle.replica());
      assertEquals(null, idle.endpoint(), "in process");
      assertEquals(Stories.bin().fingerprint().value(), idle.modelFingerprint());
      assertEquals(0, idle.recentTtftMs(), "nothing served yet");
      assertEquals(0, idle.runningSequences());
      assertEquals(0, idle.kvBlocksUsed());
      assertEquals(64, idle.kvBlocksFree());
      // a long generation holds blocks: some report sees it running
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      var generation =
          backend.submit(
              request("Once upon a time", 400, Instant.now().plusSeconds(60)),
              e -> {
                if (!(e instanceof TokenEvent.Token)) {
                  end.complete(e);
                }
              });
      while (reports.stream().noneMatch(r -> r.runningSequences() == 1 && r.kvBlocksUsed() > 0)
          && !end.isDone()
          && System.nanoTime() < deadline + 5_000_000_000L) {
        Thread.sleep(10);
      }
      generation.cancel();
      end.get(10, TimeUnit.SECONDS);
      assertTrue(
          reports.stream().anyMatch(r -> r.runningSequences() == 1 && r.kvBlocksUsed() > 0),
          "no report saw the running sequence: " + reports);
      assertTrue(reports.stream().allMatch(r -> r.kvBlocksUsed() + r.kvBlocksFree() == 64));
      int seen = reports.size();
      while (reports.size() == seen && System.nanoTime() < deadline + 10_000_000_000L) {
        Thread.sleep(5);
      }
      assertTrue(reports.getLast().recentTtftMs() > 0, "the served request's TTFT is reported");
    }
  }

  @Test
  void aDeadlineCancelsTheGeneration() throws Exception {
    try (EmbeddedExpertBackend backend =
        new EmbeddedExpertBackend(
            STORIES,
            Stories.bin(),
            EngineOptions.defaults().withKvBlocks(64),
            SchedulerOptions.defaults(),
            null,
            null)) {
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      try {
        backend.submit(
            // 3 ms: a greedy story from this prompt runs to its end-of-story token in ~10 ms on an
            // idle core, so only a deadline shorter than that shows the cancellation
            request("Once upon a time", 100_000, Instant.now().plusMillis(3)),
            e -> {
              if (!(e instanceof TokenEvent.Token)) {
                end.complete(e);
              }
            });
      } catch (MeshException e) {
        // a busy machine can spend the 3 ms before the submit: refused at once, nothing started
        assertEquals(ErrorCode.DEADLINE_EXCEEDED, e.code());
        assertEquals(0, backend.capacity().runningSequences());
        return;
      }
      TokenEvent last = end.get(30, TimeUnit.SECONDS);
      // 100k tokens cannot finish in 3 ms (and the context is 512): it is cancelled or hits LENGTH
      TokenEvent.Finished f = assertInstanceOf(TokenEvent.Finished.class, last);
      assertTrue(
          f.reason() == FinishReason.CANCELLED || f.reason() == FinishReason.LENGTH,
          f.reason().toString());
      long wait = System.nanoTime() + 5_000_000_000L;
      while (backend.capacity().runningSequences() > 0 && System.nanoTime() < wait) {
        Thread.sleep(10);
      }
      assertEquals(0, backend.capacity().runningSequences());
    }
  }
}
