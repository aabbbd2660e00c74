package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.limit.LimitMetrics;
import dev.coemesh.gateway.limit.LocalLimits;
import dev.coemesh.gateway.limit.MinuteWindows;
import dev.coemesh.gateway.limit.SharedLimits;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.testing.RecordingListener;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.testkit.RedisExtension;
import dev.coemesh.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The request lifecycle over the real stories260K model with the tenants' limits in a real Redis:
 * whatever way a request ends (finished, cancelled while streaming or queued, expired in the queue,
 * refused by the fair queue after its limits let it in), its lease is released and its tokens are
 * reconciled, so Redis holds no lease and only the tokens really used afterwards.
 */
@ExtendWith(RedisExtension.class)
class SharedLimitsLifecycleTest {
  static final ExpertId EXPERT = EmbeddedStories.EXPERT;
  static EmbeddedStories stories;
  static EmbeddedExpertBackend backend;

  final String prefix = "life" + UUID.randomUUID().toString().substring(0, 8) + ":";
  final VtcScheduler fair = stories.fairQueue();
  SharedLimits limits;
  RedisClient client;
  RedisCommands<String, String> redis;

  @BeforeAll
  static void loadModel() {
    // four sequences at most: more requests than that wait in the fair queue
    stories = new EmbeddedStories("limits-0", 4);
    backend = stories.backend;
  }

  @AfterAll
  static void closeModel() {
    stories.close();
  }

  @BeforeEach
  void start(RedisServer server) {
    LimitMetrics metrics = new LimitMetrics(new SimpleMeterRegistry());
    TokenRateLimiter tokens = new TokenRateLimiter();
    limits =
        SharedLimits.start(
            new SharedLimits.Settings(
                server.uri(),
                prefix,
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                3,
                Duration.ofMillis(100)),
            new LocalLimits(tokens.windows(), new MinuteWindows(System::nanoTime), metrics),
            metrics);
    client = RedisClient.create(server.uri());
    redis = client.connect().sync();
  }

  @AfterEach
  void stop() {
    limits.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    fair.close();
  }

  RequestOrchestrator orchestrator(Duration timeout) {
    return new RequestOrchestrator(
        stories.resolver(),
        fair,
        new TokenRateLimiter(),
        limits,
        new RequestMetrics(new SimpleMeterRegistry()),
        RequestObserver.NONE,
        64,
        timeout,
        OpenTelemetry.noop().getTracer("test"),
        false);
  }

  static ClientRequest greedy(String prompt, int maxTokens) {
    return greedy(prompt, maxTokens, List.of());
  }

  static ClientRequest greedy(String prompt, int maxTokens, List<String> stop) {
    return Requests.greedy(null, new PromptInput.Text(prompt), maxTokens, stop);
  }

  String key(Tenant t, String name) {
    return prefix + "{" + t.id() + "}:" + name;
  }

  long tokensInWindow(Tenant t) {
    return redis.hgetall(key(t, "tokens")).values().stream().mapToLong(Long::parseLong).sum();
  }

  void awaitNoLease(Tenant t) throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (redis.exists(key(t, "leases")) != 0) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("leases left: " + redis.zrange(key(t, "leases"), 0, -1));
      }
      Thread.sleep(10);
    }
  }

  @Test
  void aFinishedRequestHandsBackItsSlotAndTheTokensItDidNotUse() throws Exception {
    Tenant t =
        new Tenant(new TenantId("done"), 1, 8, 4, 100_000, 100, Tenant.LimitStoreOutage.FAIL_OPEN);
    RecordingListener r = new RecordingListener();
    // max_tokens 40, but the stop string ends it after a few tokens
    orchestrator(Duration.ofMinutes(1))
        .start(t, greedy("Once upon a time", 40, List.of("Lily")), r);
    r.await();
    assertNull(r.error);
    assertEquals(FinishReason.STOP, r.reason);
    assertNotNull(r.limits, "the headers of a tenant with per-minute limits");
    assertEquals(99, r.limits.remainingRequests());
    assertEquals(100_000 - 5 - 40, r.limits.remainingTokens(), "prompt + max_tokens reserved");
    awaitNoLease(t);
    long used = 5 + r.tokens.size(); // the prompt, then one charge per token streamed
    assertTrue(used < 45, "stopped early: " + used);
    assertEquals(used, tokensInWindow(t), "reconciled to what it used");
  }

  @Test
  void everyExitPathReleasesItsLease() throws Exception {
    Tenant t =
        new Tenant(
            new TenantId("exits"), 1, 64, 32, 1_000_000, 10_000, Tenant.LimitStoreOutage.FAIL_OPEN);
    RequestOrchestrator normal = orchestrator(Duration.ofMinutes(1));
    RequestOrchestrator hurried = orchestrator(Duration.ofMillis(40));
    List<RecordingListener> listeners = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      int path = i % 4;
      AtomicReference<RequestHandle> handle = new AtomicReference<>();
      RecordingListener r =
          new RecordingListener(
              token -> {
                if (path == 1 && token.index() == 2) {
                  handle.get().cancel(); // the client leaves mid-stream
                }
              });
      listeners.add(r);
      switch (path) {
        case 0 -> { // runs to its end (or waits its turn first)
          paths.add("finish");
          normal.start(t, greedy("Once upon a time", 24), r, handle::set);
        }
        case 1 -> {
          paths.add("cancel-streaming");
          normal.start(t, greedy("Once upon a time", 60), r, handle::set);
        }
        case 2 -> { // cancelled wherever it is: preparing, queued or running
          paths.add("cancel-anywhere");
          RequestHandle h = normal.start(t, greedy("Once upon a time", 60), r);
          Thread.sleep(ThreadLocalRandom.current().nextInt(3));
          h.cancel();
        }
        default -> { // a 40 ms deadline: expires in the queue, or in the engine
          paths.add("deadline");
          hurried.start(t, greedy("Once upon a time", 200), r, handle::set);
        }
      }
    }
    for (RecordingListener r : listeners) {
      r.await();
      assertEquals(1, r.terminalCalls);
    }
    awaitNoLease(t);
    assertEquals(0, limits.view().leases(), "no lease left on the gateway");
    long used = 0;
    long reserved = 0;
    for (RecordingListener r : listeners) {
      if (r.usage != null && r.reason != FinishReason.CANCELLED) {
        used += 5 + r.tokens.size();
      }
    }
    for (int i = 0; i < listeners.size(); i++) {
      reserved +=
          5 + (paths.get(i).equals("finish") ? 24 : paths.get(i).equals("deadline") ? 200 : 60);
    }
    long window = tokensInWindow(t);
    assertTrue(window >= used, "window " + window + " < tokens of finished requests " + used);
    assertTrue(window < reserved, "window " + window + ": nothing handed back of " + reserved);
  }

  @Test
  void aRequestTheFairQueueRefusesAfterItsLimitsLetItInHandsItsLeaseBack() throws Exception {
    // no queue at all: while the hog fills the engine, the next request is refused by the queue
    Tenant hog = new Tenant(new TenantId("hog"), 1, 8, 8, 0, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    Tenant t =
        new Tenant(new TenantId("noqueue"), 1, 0, 4, 100_000, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    RequestOrchestrator o = orchestrator(Duration.ofMinutes(1));
    List<RecordingListener> hogs = new ArrayList<>();
    List<RequestHandle> handles = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RecordingListener h = new RecordingListener();
      hogs.add(h);
      handles.add(o.start(hog, greedy("Once upon a time", 200), h));
    }
    RecordingListener r = new RecordingListener();
    o.start(t, greedy("Once upon a time", 20), r);
    r.await();
    handles.forEach(RequestHandle::cancel);
    for (RecordingListener h : hogs) {
      h.await();
    }
    awaitNoLease(t);
    awaitNoLease(hog);
    if (r.error != null) {
      assertEquals(ErrorCode.TENANT_QUEUE_FULL, r.error.code());
      assertEquals(0, tokensInWindow(t), "refused before it ran: the whole reservation back");
    } else {
      assertEquals(5 + r.tokens.size(), tokensInWindow(t));
    }
  }
}
