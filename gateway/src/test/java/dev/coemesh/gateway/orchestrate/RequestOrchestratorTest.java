package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.EmbeddedPool;
import dev.coemesh.gateway.testing.RecordingListener;
import dev.coemesh.gateway.testing.TestRouting;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The request lifecycle over the real stories260K model in the embedded engine. */
class RequestOrchestratorTest {
  static final ExpertId EXPERT = EmbeddedStories.EXPERT;

  /** Greedy continuation of "Once upon a time" (the model README's golden ids 5..30). */
  static final String CONTINUATION =
      ", there was a little girl named Lily. She loved to play outside in the park";

  static EmbeddedStories stories;
  static EmbeddedExpertBackend backend;
  static final Tenant TENANT = new Tenant(new TenantId("t"), 1, 8, 4, 0);

  final VtcScheduler fair = stories.fairQueue();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final RequestOrchestrator orchestrator = orchestrator(Duration.ofMinutes(1));

  @BeforeAll
  static void loadModel() {
    stories = new EmbeddedStories("test-0", 8);
    backend = stories.backend;
  }

  @AfterAll
  static void closeModel() {
    stories.close();
  }

  RequestOrchestrator orchestrator(Duration timeout) {
    return new RequestOrchestrator(
        stories.resolver(),
        fair,
        new TokenRateLimiter(),
        new RequestMetrics(meters),
        RequestObserver.NONE,
        64,
        timeout);
  }

  static ClientRequest greedy(String model, String prompt, int maxTokens, List<String> stop) {
    return Requests.greedy(model, new PromptInput.Text(prompt), maxTokens, stop);
  }

  @Test
  void toolsSentToAnEngineExpertAreRefusedNamingTheParameterAndHoldNoSlot() throws Exception {
    PromptInput.Chat chat =
        new PromptInput.Chat(
            List.of(new ChatMessage(Role.USER, "What is the weather?")),
            JsonNodeFactory.instance.objectNode(),
            List.of("tools"));
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, Requests.greedy(null, chat, 4, List.of()), r);
    r.await();
    assertEquals(ErrorCode.UNSUPPORTED_PARAMETER, r.error.code());
    assertEquals("tools", r.error.param());
    assertTrue(r.error.getMessage().contains("'" + EXPERT + "'"), r.error.getMessage());
    assertEquals(0, orchestrator.inflight());
    assertEquals(0, backend.capacity().runningSequences());
  }

  @Test
  void greedyCompletionOfTheRealModelMatchesItsGoldenOutput() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, greedy(null, "Once upon a time", 26, List.of()), r);
    r.await();
    assertNull(r.error);
    assertEquals(EXPERT, r.expert);
    assertEquals(CONTINUATION, r.text());
    assertEquals(FinishReason.LENGTH, r.reason);
    assertEquals(new Usage(5, 26, 0).promptTokens(), r.usage.promptTokens());
    assertEquals(26, r.usage.completionTokens());
    assertEquals(1, r.terminalCalls);
    awaitIdle();
  }

  @Test
  void pinningTheExpertByNameServesTheSameTokens() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, greedy("stories260k", "Once upon a time", 26, List.of()), r);
    assertEquals(CONTINUATION, r.await().text());
  }

  @Test
  void aStopSequenceEndsTheTextBeforeIt() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, greedy(null, "Once upon a time", 26, List.of("Lily")), r);
    r.await();
    assertEquals(", there was a little girl named ", r.text());
    assertEquals(FinishReason.STOP, r.reason);
  }

  @Test
  void anUnknownModelIsNotFound() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, greedy("gpt-4o", "x", 1, List.of()), r);
    r.await();
    assertEquals(ErrorCode.MODEL_NOT_FOUND, r.error.code());
    assertEquals("model", r.error.param());
    assertEquals(0, orchestrator.inflight());
  }

  @Test
  void promptsThatLeaveNoRoomExceedTheContext() throws Exception {
    RecordingListener tooLong = new RecordingListener();
    orchestrator.start(TENANT, greedy(null, "the cat sat. ".repeat(400), 0, List.of()), tooLong);
    tooLong.await();
    assertEquals(ErrorCode.CONTEXT_LENGTH_EXCEEDED, tooLong.error.code());
    assertEquals("prompt", tooLong.error.param());

    RecordingListener tooMany = new RecordingListener();
    orchestrator.start(TENANT, greedy(null, "Once upon a time", 508, List.of()), tooMany);
    tooMany.await();
    assertEquals(ErrorCode.CONTEXT_LENGTH_EXCEEDED, tooMany.error.code());
    assertEquals("max_tokens", tooMany.error.param());
    assertTrue(tooMany.error.getMessage().contains("513 tokens (5 in the prompt, 508 in"));
  }

  @Test
  void theDefaultMaxTokensIsCappedByWhatTheContextLeaves() throws Exception {
    RecordingListener r = new RecordingListener();
    // 5 prompt tokens, context 512: room 507 > default 64, so 64
    orchestrator.start(TENANT, greedy(null, "Once upon a time", 0, List.of()), r);
    r.await();
    assertEquals(64, r.usage.completionTokens());
  }

  @Test
  void cancellingMidStreamStopsTheEngineAndReturnsEverythingToBaseline() throws Exception {
    int baseline = backend.capacity().totalKvBlocks();
    AtomicReference<RequestHandle> handle = new AtomicReference<>();
    RecordingListener r =
        new RecordingListener(
            t -> {
              if (t.index() == 2) {
                while (handle.get() == null) {
                  Thread.onSpinWait(); // start() has not returned yet
                }
                handle.get().cancel();
              }
            });
    handle.set(orchestrator.start(TENANT, greedy(null, "Once upon a time", 400, List.of()), r));
    r.await();
    assertEquals(FinishReason.CANCELLED, r.reason);
    assertTrue(r.usage.completionTokens() < 10, "stopped at " + r.usage.completionTokens());
    assertEquals(1, r.terminalCalls);
    awaitIdle();
    assertEquals(baseline, backend.capacity().freeKvBlocks());
  }

  @Test
  void cancellingAQueuedRequestTakesItOutOfItsTenantsQueue() throws Exception {
    Tenant single = new Tenant(new TenantId("single"), 1, 4, 1, 0);
    AtomicReference<RequestHandle> first = new AtomicReference<>();
    RecordingListener running = new RecordingListener();
    RecordingListener queued = new RecordingListener();
    // the first request holds the tenant's only slot until the end of the test
    first.set(
        orchestrator.start(single, greedy(null, "Once upon a time", 400, List.of()), running));
    RequestHandle second =
        orchestrator.start(single, greedy(null, "Once upon a time", 5, List.of()), queued);
    second.cancel();
    queued.await();
    assertEquals(FinishReason.CANCELLED, queued.reason);
    assertEquals(0, queued.usage.completionTokens());
    assertTrue(queued.tokens.isEmpty());
    first.get().cancel();
    running.await();
    awaitIdle();
  }

  @Test
  void aClosedBackendIsNoHealthyReplica() throws Exception {
    Model model =
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    ReplicaId replica = new ReplicaId(new ExpertId("gone"), ReplicaRole.COLOCATED, "test-0");
    EmbeddedExpertBackend closed =
        new EmbeddedExpertBackend(
            new ExpertId("gone"),
            model,
            new EngineOptions(1, 16, 16),
            new SchedulerOptions(1, 64, 4),
            replica,
            stories.signals);
    closed.close(); // after its first load report: the router still believes in it
    ExpertDirectory gone =
        new ExpertDirectory(
            List.of(EmbeddedPool.of(replica, closed, model.tokenizer(), ChatFormat.PLAIN)));
    RequestOrchestrator o =
        new RequestOrchestrator(
            new ExpertResolver(gone, TestRouting.singleExpert("gone", stories.signals)),
            new VtcScheduler(
                VtcOptions.defaults(), new BackendCapacity(e -> gone.get(e).capacity())),
            new TokenRateLimiter(),
            new RequestMetrics(meters),
            RequestObserver.NONE,
            8,
            Duration.ofMinutes(1));
    RecordingListener r = new RecordingListener();
    o.start(TENANT, greedy(null, "Once", 4, List.of()), r);
    r.await();
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, r.error.code());
    assertEquals(503, r.error.code().httpStatus());
    assertEquals(0, o.inflight());
  }

  @Test
  void aTenantOverItsTokensPerMinuteIsRateLimitedWithARetryHint() throws Exception {
    Tenant metered = new Tenant(new TenantId("metered"), 1, 8, 4, 20);
    RecordingListener first = new RecordingListener();
    orchestrator.start(metered, greedy(null, "Once upon a time", 26, List.of()), first);
    first.await();
    assertNull(first.error); // 5 + 26 tokens: over the limit only after it ran
    RecordingListener second = new RecordingListener();
    orchestrator.start(metered, greedy(null, "Once upon a time", 26, List.of()), second);
    second.await();
    assertEquals(ErrorCode.RATE_LIMITED, second.error.code());
    assertTrue(second.retryAfter >= 1 && second.retryAfter <= 60, "" + second.retryAfter);
  }

  @Test
  void aPassedDeadlineEndsTheRequestAsDeadlineExceeded() throws Exception {
    RequestOrchestrator hurried = orchestrator(Duration.ofNanos(1));
    RecordingListener r = new RecordingListener();
    hurried.start(TENANT, greedy(null, "Once upon a time", 26, List.of()), r);
    r.await();
    assertEquals(ErrorCode.DEADLINE_EXCEEDED, r.error.code());
  }

  @Test
  void aClientThatLeavesWhileItsPromptIsPreparedEndsItBeforeTheQueue() throws Exception {
    RecordingListener r = new RecordingListener();
    // the handle reaches the caller before any work: cancelling it there is a client that left
    // while its prompt was routed and tokenized
    orchestrator.start(
        TENANT, greedy(null, "Once upon a time", 26, List.of()), r, RequestHandle::cancel);
    r.await();
    assertEquals(FinishReason.CANCELLED, r.reason);
    assertEquals(0, fair.open(), "never queued");
    awaitIdle();
  }

  @Test
  void aTenantPreparesAtMostItsQueuePlusRunningRequestsAtOnce() {
    Preparations preparations = new Preparations();
    Tenant small = new Tenant(new TenantId("small"), 1, 1, 1, 0); // 1 queued + 1 running
    assertTrue(preparations.tryEnter(small));
    assertTrue(preparations.tryEnter(small));
    assertFalse(preparations.tryEnter(small), "a third is refused");
    assertTrue(preparations.tryEnter(TENANT), "other tenants are not affected");
    preparations.exit(small);
    assertTrue(preparations.tryEnter(small), "a slot freed is taken again");
    assertEquals(2, preparations.active(small.id()));
  }

  @Test
  void aRequestStillQueuedAtItsDeadlineLeavesTheQueueAsDeadlineExceeded() throws Exception {
    // a deadline that preparing a prompt on a loaded machine cannot eat up
    RequestOrchestrator hurried = orchestrator(Duration.ofSeconds(3));
    Tenant one = new Tenant(new TenantId("one-slot"), 1, 4, 1, 0); // one running, others wait
    // the first holds the tenant's only slot until the second has ended: its first token stalls
    CountDownLatch firstRunning = new CountDownLatch(1);
    CountDownLatch secondEnded = new CountDownLatch(1);
    RecordingListener first =
        new RecordingListener(
            t -> {
              if (t.index() == 0) {
                firstRunning.countDown();
                awaitQuietly(secondEnded);
              }
            });
    hurried.start(one, greedy(null, "Once upon a time", 26, List.of()), first);
    assertTrue(firstRunning.await(30, TimeUnit.SECONDS), "the first runs");
    RecordingListener second = new RecordingListener();
    hurried.start(one, greedy(null, "Once upon a time", 26, List.of()), second);
    second.await();
    secondEnded.countDown();
    assertEquals(ErrorCode.DEADLINE_EXCEEDED, second.error.code());
    assertTrue(
        second.error.getMessage().contains("waited in the queue"), second.error.getMessage());
    assertTrue(second.tokens.isEmpty());
    first.await();
    awaitIdle();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void outcomesAreCountedPerExpert() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator.start(TENANT, greedy(null, "Once upon a time", 3, List.of()), r);
    r.await();
    assertEquals(
        1.0,
        meters
            .get("mesh.gateway.requests")
            .tag("expert", "stories260k")
            .tag("outcome", "length")
            .counter()
            .count());
  }

  /** Waits until the engine and the orchestrator hold nothing for finished requests. */
  void awaitIdle() throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < end) {
      ExpertBackend.Capacity c = backend.capacity();
      if (orchestrator.inflight() == 0
          && c.runningSequences() == 0
          && c.waitingSequences() == 0
          && c.freeKvBlocks() == c.totalKvBlocks()
          && fair.open() == 0) {
        return;
      }
      Thread.sleep(5);
    }
    ExpertBackend.Capacity c = backend.capacity();
    assertFalse(
        true,
        "not idle: inflight "
            + orchestrator.inflight()
            + ", "
            + c
            + ", scheduler open "
            + fair.open());
  }
}
