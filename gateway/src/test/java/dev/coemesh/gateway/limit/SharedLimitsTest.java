package dev.coemesh.gateway.limit;

import static dev.coemesh.gateway.limit.Admissions.granted;
import static dev.coemesh.gateway.limit.Admissions.isGranted;
import static dev.coemesh.gateway.limit.Admissions.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.testkit.RedisExtension;
import dev.coemesh.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two gateways' limiters ({@link SharedLimits}, each with its own connection) on one real
 * redis-server: the limits hold over both, leases of a dead gateway expire, and an outage of the
 * store falls back per tenant and recovers on its own.
 */
@ExtendWith(RedisExtension.class)
class SharedLimitsTest {
  private final List<SharedLimits> gateways = new ArrayList<>();
  private final List<RedisServer> ownServers = new ArrayList<>();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ":";
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private RedisServer redis;
  private RedisClient client;
  private RedisCommands<String, String> r;

  @BeforeEach
  void connect(RedisServer shared) {
    redis = shared;
  }

  @AfterEach
  void close() {
    gateways.forEach(SharedLimits::close);
    if (client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
    ownServers.forEach(RedisServer::close);
  }

  private RedisCommands<String, String> redis() {
    if (r == null) {
      client = RedisClient.create(redis.uri());
      StatefulRedisConnection<String, String> c = client.connect();
      r = c.sync();
    }
    return r;
  }

  private SharedLimits gateway(Duration lease, Duration timeout) {
    SharedLimits.Settings s =
        new SharedLimits.Settings(
            redis.uri(), prefix, timeout, Duration.ofSeconds(1), lease, 1, Duration.ofMillis(50));
    LimitMetrics metrics = new LimitMetrics(meters);
    SharedLimits g =
        SharedLimits.start(
            s,
            new LocalLimits(
                new MinuteWindows(System::nanoTime), new MinuteWindows(System::nanoTime), metrics),
            metrics);
    gateways.add(g);
    return g;
  }

  /** A gateway whose calls do not time out on a busy test machine. */
  private SharedLimits gateway() {
    return gateway(Duration.ofSeconds(30), Duration.ofSeconds(2));
  }

  private static Tenant tenant(
      String id, int maxConcurrent, long tpm, long rpm, Tenant.LimitStoreOutage outage) {
    return new Tenant(new TenantId(id), 1, 0, maxConcurrent, tpm, rpm, outage);
  }

  private String key(Tenant t, String name) {
    return prefix + "{" + t.id() + "}:" + name;
  }

  private long windowSum(Tenant t, String name) {
    long sum = 0;
    for (String v : redis().hgetall(key(t, name)).values()) {
      sum += Long.parseLong(v);
    }
    return sum;
  }

  private void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(10);
    }
  }

  /** Every lease released (the releases are asynchronous): the set and its key are gone. */
  private void awaitNoLease(Tenant t) throws InterruptedException {
    await(() -> redis().exists(key(t, "leases")) == 0, "no lease of " + t.id() + " left");
  }

  /** Runs {@code n} calls at once over a pool, releasing them together. */
  private static <T> List<T> atOnce(int n, java.util.function.IntFunction<Callable<T>> call)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Callable<T> c = call.apply(i);
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  return c.call();
                }));
      }
      go.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentAdmissionsThroughTwoGatewaysCannotBothSlipIn() throws Exception {
    SharedLimits a = gateway();
    SharedLimits b = gateway();
    Tenant t = tenant("tpm-burst", 1000, 1000, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    // 40 requests at once, each reserving 100 tokens (prompt + max_tokens), none finishing yet
    List<TenantLimits.Admission> all =
        atOnce(40, i -> () -> (i % 2 == 0 ? a : b).admit(t, RequestId.random(), 100));
    long granted = all.stream().filter(Admissions::isGranted).count();
    assertEquals(10, granted, "admitted while the window held less than 1,000 tokens");
    assertEquals(1000, windowSum(t, "tokens"));
    for (TenantLimits.Admission x : all) {
      if (!isGranted(x)) {
        assertEquals(LimitKind.TOKENS, refusal(x).kind());
        assertEquals("0", refusal(x).headers().headers().get("x-ratelimit-remaining-tokens"));
        assertTrue(refusal(x).retryAfterSeconds() >= 1 && refusal(x).retryAfterSeconds() <= 60);
      }
    }
    for (TenantLimits.Admission x : all) {
      if (isGranted(x)) {
        granted(x).lease().release(100);
      }
    }
    awaitNoLease(t);
    assertEquals(1000, windowSum(t, "tokens"), "every reservation used in full");
  }

  @Test
  void aTenantSendingThroughBothGatewaysIsHeldToItsLimitWithinOneRequestsTokens() throws Exception {
    SharedLimits a = gateway();
    SharedLimits b = gateway();
    Tenant t = tenant("tpm", 1000, 1000, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    int reserve = 100; // 20 prompt tokens + max_tokens 80
    AtomicLong used = new AtomicLong();
    AtomicInteger[] admitted = {new AtomicInteger(), new AtomicInteger()};
    atOnce(
        16,
        i ->
            () -> {
              SharedLimits g = i % 2 == 0 ? a : b;
              int refusedInARow = 0;
              for (int n = 0; n < 200 && refusedInARow < 20; n++) {
                TenantLimits.Admission x = g.admit(t, RequestId.random(), reserve);
                if (!isGranted(x)) {
                  assertEquals(LimitKind.TOKENS, refusal(x).kind());
                  refusedInARow++;
                  Thread.sleep(1);
                  continue;
                }
                refusedInARow = 0;
                admitted[i % 2].incrementAndGet();
                // the request runs, then ends having used its prompt and part of max_tokens
                long u = 20 + ThreadLocalRandom.current().nextInt(81);
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                used.addAndGet(u);
                granted(x).lease().release(u);
              }
              return null;
            });
    awaitNoLease(t);
    assertTrue(admitted[0].get() > 0 && admitted[1].get() > 0, "both gateways served");
    assertTrue(
        used.get() <= 1000 + reserve - 1,
        "used " + used.get() + " tokens: more than one request's reservation over the limit");
    assertTrue(used.get() > 1000 - reserve, "used " + used.get());
    // reconciled: the window holds exactly what the requests used
    assertEquals(used.get(), windowSum(t, "tokens"));
  }

  @Test
  void requestsPerMinuteHoldOverBothGateways() throws Exception {
    SharedLimits a = gateway();
    SharedLimits b = gateway();
    Tenant t = tenant("rpm", 1000, 0, 10, Tenant.LimitStoreOutage.FAIL_OPEN);
    List<TenantLimits.Admission> all =
        atOnce(40, i -> () -> (i % 2 == 0 ? a : b).admit(t, RequestId.random(), 50));
    Set<Long> remaining = new HashSet<>();
    for (TenantLimits.Admission x : all) {
      if (isGranted(x)) {
        remaining.add(granted(x).headers().remainingRequests());
        assertEquals(10, granted(x).headers().limitRequests());
        assertEquals(0, granted(x).headers().limitTokens());
        granted(x).lease().release(50);
      } else {
        assertEquals(LimitKind.REQUESTS, refusal(x).kind());
        assertEquals("requests", refusal(x).error().toBody().error().type());
      }
    }
    assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), remaining, "ten, one at a time");
    assertEquals(10, windowSum(t, "requests"));
    assertFalse(redis().exists(key(t, "tokens")) == 1, "no token limit, no token key");
    // a gateway the store refused answers the next request itself, without a round trip
    assertNotNull(a.precheck(t));
    awaitNoLease(t);
    assertTrue(redis().ttl(key(t, "requests")) <= 61, "an idle window expires");
  }

  @Test
  void concurrencyHoldsOverBothGatewaysAndAReleaseFreesASlot() throws Exception {
    SharedLimits a = gateway();
    SharedLimits b = gateway();
    Tenant t = tenant("conc", 3, 0, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    TenantLimits.Admission a1 = a.admit(t, RequestId.random(), 10);
    TenantLimits.Admission a2 = a.admit(t, RequestId.random(), 10);
    TenantLimits.Admission b1 = b.admit(t, RequestId.random(), 10);
    assertTrue(isGranted(a1) && isGranted(a2) && isGranted(b1));
    assertNull(granted(a1).headers(), "no per-minute limit, no headers");
    TenantLimits.Admission over = b.admit(t, RequestId.random(), 10);
    assertEquals(LimitKind.CONCURRENCY, refusal(over).kind());
    assertEquals(ErrorCode.RATE_LIMITED, refusal(over).error().code());
    assertEquals("concurrent_requests", refusal(over).error().toBody().error().type());
    assertEquals(1, refusal(over).retryAfterSeconds());
    assertFalse(isGranted(a.admit(t, RequestId.random(), 10)));
    assertEquals(3, redis().zcard(key(t, "leases")));

    granted(a1).lease().release(0);
    granted(a1).lease().release(0); // a second release changes nothing
    await(() -> redis().zcard(key(t, "leases")) == 2, "the slot handed back");
    TenantLimits.Admission b2 = b.admit(t, RequestId.random(), 10);
    assertTrue(isGranted(b2), "the other gateway gets the slot");
    granted(a2).lease().release(0);
    granted(b1).lease().release(0);
    granted(b2).lease().release(0);
    awaitNoLease(t);
  }

  @Test
  void theLeasesOfAGatewayThatDiedExpireAndALiveOnesAreRenewed() throws Exception {
    Tenant t = tenant("lease", 1, 0, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    SharedLimits survivor = gateway();
    SharedLimits alive = gateway(Duration.ofSeconds(1), Duration.ofMillis(200));
    TenantLimits.Admission held = alive.admit(t, RequestId.random(), 10);
    assertTrue(isGranted(held));
    Thread.sleep(2500); // 2.5 leases: renewed every third of one
    assertFalse(isGranted(survivor.admit(t, RequestId.random(), 10)), "a renewed lease holds");
    granted(held).lease().release(0);
    awaitNoLease(t);

    SharedLimits crashed = gateway(Duration.ofSeconds(1), Duration.ofMillis(200));
    assertTrue(isGranted(crashed.admit(t, RequestId.random(), 10)));
    crashed.close(); // dies with its request in flight: no release, no renewal
    assertFalse(isGranted(survivor.admit(t, RequestId.random(), 10)));
    long died = System.nanoTime();
    TenantLimits.Admission after;
    do {
      Thread.sleep(50);
      after = survivor.admit(t, RequestId.random(), 10);
    } while (!isGranted(after) && System.nanoTime() - died < TimeUnit.SECONDS.toNanos(5));
    assertTrue(isGranted(after), "the dead gateway's slot came back within its lease");
    granted(after).lease().release(0);
    awaitNoLease(t);
  }

  @Test
  void aStoreThatStopsFallsBackPerTenantAndSharedLimitsResumeWhenItIsBack() throws Exception {
    RedisServer own = RedisServer.startNew();
    ownServers.add(own);
    redis = own;
    SharedLimits g = gateway(Duration.ofSeconds(30), Duration.ofMillis(100));
    Tenant open = tenant("open", 2, 0, 4, Tenant.LimitStoreOutage.FAIL_OPEN);
    Tenant closed = tenant("closed", 2, 0, 0, Tenant.LimitStoreOutage.FAIL_CLOSED);
    TenantLimits.Admission first = g.admit(open, RequestId.random(), 10);
    assertTrue(isGranted(first));
    granted(first).lease().release(10);
    TenantLimits.Admission shared = g.admit(closed, RequestId.random(), 10);
    assertTrue(isGranted(shared));
    granted(shared).lease().release(10);
    assertTrue(g.storeUp());
    assertEquals(1.0, meters.get("mesh.limits.store.up").gauge().value());

    own.stop(); // SIGKILL: an abrupt outage
    TenantLimits.Admission fallback = g.admit(open, RequestId.random(), 10);
    assertTrue(isGranted(fallback), "fail-open: served under this gateway's limits");
    assertFalse(g.storeUp(), "the breaker opened");
    assertEquals(0.0, meters.get("mesh.limits.store.up").gauge().value());
    // the local window counts the request the store admitted: 4 per minute, 2 used, 2 left
    assertEquals(2, granted(fallback).headers().remainingRequests());
    for (int i = 0; i < 2; i++) {
      TenantLimits.Admission more = g.admit(open, RequestId.random(), 10);
      assertTrue(isGranted(more));
      granted(more).lease().release(10);
    }
    TenantLimits.Admission overLocally = g.admit(open, RequestId.random(), 10);
    assertEquals(LimitKind.REQUESTS, refusal(overLocally).kind());

    // fail-closed: refused, as the server's fault, without asking the dead store again
    double storeErrors = meters.get("mesh.limits.store.errors").counter().count();
    int calls = 200;
    for (int i = 0; i < calls; i++) {
      LimitRefusal early = g.precheck(closed);
      assertEquals(LimitKind.STORE_UNAVAILABLE, early.kind());
      TenantLimits.Admission refused = g.admit(closed, RequestId.random(), 10);
      assertEquals(ErrorCode.LIMIT_STORE_UNAVAILABLE, refusal(refused).error().code());
      assertEquals(503, refusal(refused).error().code().httpStatus());
      assertTrue(refusal(refused).retryAfterSeconds() >= 1);
    }
    assertEquals(
        storeErrors,
        meters.get("mesh.limits.store.errors").counter().count(),
        "the open breaker kept every call off the store");
    assertEquals(
        2.0 * calls, // precheck and admit both refused
        meters
            .get("mesh.limits.refused")
            .tag("tenant", "closed")
            .tag("limit", "store_unavailable")
            .counter()
            .count());

    own.start(); // the same port, its data gone
    await(g::storeUp, "the breaker closes once the store answers");
    // the request admitted during the outage is still running: republished, it counts there
    await(
        () -> redis().zcard(key(open, "leases")) == 1,
        "the fallback lease republished to the store");
    TenantLimits.Admission back = g.admit(closed, RequestId.random(), 10);
    assertTrue(isGranted(back), "shared again");
    assertEquals(1, redis().zcard(key(closed, "leases")));
    granted(back).lease().release(0);
    granted(fallback).lease().release(10);
    awaitNoLease(closed);
    awaitNoLease(open);
    TenantLimits.View view = g.view();
    assertEquals("shared", view.mode());
    assertTrue(view.storeUp());
    assertEquals(0, view.leases());
    assertTrue(view.refused().get(closed.id()).get("store_unavailable") >= calls);
  }

  @Test
  void aStoreThatIsDownAtStartIsNotAnErrorAndIsUsedOnceItAnswers() throws Exception {
    RedisServer own = RedisServer.startNew();
    ownServers.add(own);
    redis = own;
    own.stop();
    SharedLimits g = gateway(Duration.ofSeconds(30), Duration.ofMillis(100));
    Tenant t = tenant("late", 2, 0, 0, Tenant.LimitStoreOutage.FAIL_OPEN);
    assertFalse(g.storeUp());
    TenantLimits.Admission local = g.admit(t, RequestId.random(), 10);
    assertTrue(isGranted(local));
    own.start();
    await(g::storeUp, "connected once the store answers");
    TenantLimits.Admission shared = g.admit(t, RequestId.random(), 10);
    assertTrue(isGranted(shared));
    assertEquals(2, redis().zcard(key(t, "leases")), "both requests in flight counted");
    granted(local).lease().release(0);
    granted(shared).lease().release(0);
    awaitNoLease(t);
    assertEquals(Map.of(), redis().hgetall(key(t, "tokens")));
  }
}
