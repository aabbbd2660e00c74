package dev.coemesh.gateway.fair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.FairScheduler.Ticket;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class VtcSchedulerTest {
  static final ExpertId EXPERT = new ExpertId("e1");
  static final ExpertId OTHER_EXPERT = new ExpertId("e2");

  static Tenant tenant(String id, double weight, int maxQueued, int maxConcurrent) {
    return new Tenant(new TenantId(id), weight, maxQueued, maxConcurrent, 0);
  }

  static final Tenant A = tenant("a", 1, 100, 100);
  static final Tenant B = tenant("b", 1, 100, 100);

  /** Records the labels of admitted requests in admission order. */
  static final class Admissions {
    final List<String> order = new ArrayList<>();
    final List<Ticket> tickets = new ArrayList<>();

    synchronized void admitted(String label, Ticket t) {
      order.add(label);
      tickets.add(t);
    }

    synchronized String joined() {
      return String.join(" ", order);
    }
  }

  static Ticket submit(VtcScheduler s, Admissions log, Tenant t, String label, int input) {
    return s.submit(t, EXPERT, input, ticket -> log.admitted(label, ticket));
  }

  @Test
  void chargesInputAtAdmissionAndOutputTwiceAndAdmitsTheLeastServedTenant() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket a1 = submit(s, log, A, "a1", 10);
    assertEquals(10.0, s.counter(A.id())); // admitted at once: w_p·10
    Ticket a2 = submit(s, log, A, "a2", 10);
    Ticket b1 = submit(s, log, B, "b1", 5);
    assertEquals(10.0, s.counter(B.id()), "b's queue became non-empty: lifted to a's 10");
    Ticket b2 = submit(s, log, B, "b2", 5);

    a1.chargeOutput(3);
    assertEquals(16.0, s.counter(A.id())); // + w_q·3
    a1.complete(); // a 16 vs b 10
    assertEquals("a1 b1", log.joined());
    assertEquals(15.0, s.counter(B.id()));
    b1.complete(); // a 16 vs b 15
    assertEquals("a1 b1 b2", log.joined());
    b2.complete(); // only a waits
    assertEquals("a1 b1 b2 a2", log.joined());
    a2.complete();

    assertEquals(26.0, s.counter(A.id()));
    assertEquals(20.0, s.counter(B.id()));
    assertEquals(new VtcScheduler.Service(20, 3), s.service(A.id()));
    assertEquals(new VtcScheduler.Service(10, 0), s.service(B.id()));
    assertEquals(0, s.open());
  }

  @Test
  void theFairnessGapIsTheCounterSpreadAmongTenantsWaitingAtTheExpert() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket a1 = submit(s, log, A, "a1", 10); // running: a 10
    submit(s, log, A, "a2", 10); // a waits
    assertEquals(0.0, s.fairnessGap(EXPERT), "one tenant waiting: no gap");
    submit(s, log, B, "b1", 5); // b waits, lifted to a's 10
    assertEquals(0.0, s.fairnessGap(EXPERT));
    a1.chargeOutput(3); // a 16, b 10, both waiting
    assertEquals(6.0, s.fairnessGap(EXPERT));
    assertEquals(0.0, s.fairnessGap(OTHER_EXPERT), "nobody waits there");
    a1.complete(); // b (10) is admitted: only a waits
    assertEquals("a1 b1", log.joined());
    assertEquals(0.0, s.fairnessGap(EXPERT));
  }

  @Test
  void weightsDivideChargesSoAWeightTwoTenantIsAdmittedTwiceAsOften() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Tenant heavy = tenant("a", 2, 100, 100);
    for (int i = 0; i < 6; i++) {
      submit(s, log, heavy, "A", 10);
    }
    for (int i = 0; i < 6; i++) {
      submit(s, log, B, "B", 10);
    }
    for (int i = 0; i < 12; i++) {
      log.tickets.get(i).complete(); // each completion admits exactly one more
    }
    // ties go to the earlier arrival; A pays 5 per request, B 10
    assertEquals("A A B A A B A A B B B B", log.joined());
    assertEquals(30.0, s.counter(heavy.id()));
    assertEquals(65.0, s.counter(B.id())); // lifted to 5, then 6 × 10
    assertEquals(0, s.open());
  }

  @Test
  void liftRaisesAReturningTenantToTheSmallestBackloggedCounter() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    submit(s, log, A, "a1", 100); // a: 100, running
    submit(s, log, A, "a2", 100); // queued
    submit(s, log, tenant("c", 1, 100, 100), "c1", 40); // lifted to 100
    assertEquals(100.0, s.counter(new TenantId("c")));
    submit(s, log, B, "b1", 1); // min(a 100, c 100) = 100
    assertEquals(100.0, s.counter(B.id()));
  }

  @Test
  void liftNeverLowersACounter() {
    var s =
        new VtcScheduler(new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket b1 = submit(s, log, B, "b1", 50); // b: 50
    b1.complete();
    submit(s, log, A, "a1", 10); // a: 10, running
    submit(s, log, A, "a2", 10); // queued, a stays 10
    submit(s, log, B, "b2", 1); // b 50 > a 10: unchanged
    assertEquals(50.0, s.counter(B.id()));
  }

  @Test
  void withoutOtherBackloggedTenantsTheArtifactRuleDoesNotLiftButThePapersRuleDoes() {
    for (LiftRule rule : LiftRule.values()) {
      var s = new VtcScheduler(new VtcOptions(1, 2, rule), CapacitySource.fixed(1));
      var log = new Admissions();
      Ticket a1 = submit(s, log, A, "a1", 100);
      Ticket a2 = submit(s, log, A, "a2", 100);
      a1.complete(); // a2 admitted: a's FIFO empties, a departs last with 200
      assertEquals(200.0, s.counter(A.id()));
      submit(s, log, B, "b1", 1); // nobody waiting, a2 running
      submit(s, log, B, "b2", 1);
      double expected =
          switch (rule) {
            case BACKLOGGED_MIN, NONE -> 0.0;
            case BACKLOGGED_MIN_OR_LAST_DEPARTED -> 200.0;
          };
      assertEquals(expected, s.counter(B.id()), rule.name());
      a2.complete();
      assertEquals("a1 a2 b1", log.joined(), rule.name());
    }
  }

  @Test
  void withoutTheLiftAnIdleTenantMonopolisesTheExpertOnReturn() {
    var noLift = new VtcScheduler(new VtcOptions(1, 2, LiftRule.NONE), CapacitySource.fixed(1));
    var lifted = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    for (VtcScheduler s : List.of(noLift, lifted)) {
      var log = new Admissions();
      Ticket warm = submit(s, log, A, "a", 100); // a alone earns a counter of 100
      warm.complete();
      Ticket running = submit(s, log, A, "a", 10); // 110
      for (int i = 0; i < 3; i++) {
        submit(s, log, A, "a", 10);
      }
      for (int i = 0; i < 4; i++) {
        submit(s, log, B, "b", 10); // b returns from idle
      }
      running.complete();
      for (int i = 2; i < 9; i++) {
        log.tickets.get(i).complete();
      }
      String expected = s == noLift ? "a a b b b b a a a" : "a a a b a b a b b";
      assertEquals(expected, log.joined());
    }
  }

  @Test
  void aTenantAtItsConcurrencyLimitIsSkippedSoTheExpertStaysBusy() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(3));
    var log = new Admissions();
    Tenant single = tenant("a", 1, 100, 1);
    submit(s, log, single, "a1", 1);
    submit(s, log, single, "a2", 1); // a has the lower counter but no slot
    submit(s, log, B, "b1", 50);
    submit(s, log, B, "b2", 50);
    assertEquals("a1 b1 b2", log.joined());
    assertEquals(1, s.queued(single.id()));
    assertEquals(3, s.inflight(EXPERT));
    log.tickets.get(0).complete();
    assertEquals("a1 b1 b2 a2", log.joined());
  }

  @Test
  void aFullTenantQueueIsRefusedWith429AndAHintFromHowLongSlotsAreHeld() {
    AtomicLong now = new AtomicLong(1);
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(8), null, now::get);
    var log = new Admissions();
    Tenant small = tenant("a", 1, 2, 1);
    Ticket running = submit(s, log, small, "a1", 1);
    submit(s, log, small, "a2", 1);
    submit(s, log, small, "a3", 1);
    MeshException full = assertThrows(MeshException.class, () -> submit(s, log, small, "a4", 1));
    assertEquals(ErrorCode.TENANT_QUEUE_FULL, full.code());
    assertEquals(429, full.code().httpStatus());
    assertEquals(
        "tenant 'a' already has 2 requests waiting (its limit is 2); retry in 1 s",
        full.getMessage());

    now.addAndGet(3_500_000_000L); // a1 held its slot 3.5 s
    running.complete(); // a2 admitted
    submit(s, log, small, "a4", 1);
    assertEquals(4, s.retryAfterSeconds(small.id()));
    assertEquals(1, s.retryAfterSeconds(new TenantId("unseen")));
    assertEquals(2, s.queued(small.id()));
    assertEquals("a1 a2", log.joined());
    assertEquals(3, s.open());
  }

  @Test
  void aTenantAllowedNoQueueStillStartsWhenASlotIsFree() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Tenant noQueue = tenant("a", 1, 0, 4);
    Ticket first = submit(s, log, noQueue, "a1", 1);
    assertTrue(first.admitted());
    MeshException e = assertThrows(MeshException.class, () -> submit(s, log, noQueue, "a2", 1));
    assertEquals(ErrorCode.TENANT_QUEUE_FULL, e.code());
    assertEquals(0, s.queued(noQueue.id()));
  }

  @Test
  void cancellingWhileQueuedRemovesTheRequestWithoutChargeOrCallback() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket a1 = submit(s, log, A, "a1", 10);
    Ticket b1 = submit(s, log, B, "b1", 7);
    Ticket b2 = submit(s, log, B, "b2", 3);
    b1.cancel();
    b1.cancel(); // idempotent
    b1.chargeOutput(5); // ignored: never admitted
    assertFalse(b1.admitted());
    assertEquals(1, s.queued(B.id()));
    a1.complete();
    assertEquals("a1 b2", log.joined());
    assertEquals(13.0, s.counter(B.id())); // lifted to 10, charged b2's 3 only
    b2.complete();
    b2.complete();
    assertEquals(0, s.open());
    assertEquals(0, s.inflight(EXPERT));
  }

  @Test
  void cancellingAnAdmittedRequestFreesItsSlotAndStopsCharging() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket a1 = submit(s, log, A, "a1", 10);
    submit(s, log, A, "a2", 10);
    a1.chargeOutput(1);
    a1.cancel();
    a1.chargeOutput(100); // after the end: ignored
    assertTrue(a1.admitted());
    assertEquals(22.0, s.counter(A.id())); // 10 + 2·1 for a1, 10 for a2
    assertEquals("a1 a2", log.joined());
    assertEquals(1, s.inflight(EXPERT));
  }

  @Test
  void aCallbackThatThrowsGivesItsSlotBack() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    s.submit(
        A,
        EXPERT,
        1,
        t -> {
          throw new IllegalStateException("backend refused");
        });
    submit(s, log, B, "b1", 1);
    assertEquals("b1", log.joined());
    assertEquals(0, s.running(A.id()));
  }

  @Test
  void callbacksThatCompleteAtOnceRunIterativelyNotRecursively() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    AtomicInteger started = new AtomicInteger();
    Ticket blocker = s.submit(A, EXPERT, 1, t -> {});
    Tenant many = tenant("m", 1, 100_000, 1);
    for (int i = 0; i < 50_000; i++) {
      s.submit(
          many,
          EXPERT,
          1,
          t -> {
            started.incrementAndGet();
            t.complete();
          });
    }
    blocker.complete(); // deep recursion here would overflow the stack
    assertEquals(50_000, started.get());
    assertEquals(0, s.open());
  }

  @Test
  void expertsAreAdmittedIndependentlyButTenantSlotsAreShared() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    List<String> log = new ArrayList<>();
    Tenant two = tenant("a", 1, 10, 2);
    Ticket e1 = s.submit(two, EXPERT, 1, t -> log.add("e1"));
    s.submit(two, OTHER_EXPERT, 1, t -> log.add("e2"));
    s.submit(two, OTHER_EXPERT, 1, t -> log.add("e2b")); // e2 busy
    s.submit(two, EXPERT, 1, t -> log.add("e1b")); // e1 busy
    assertEquals(List.of("e1", "e2"), log);
    e1.complete();
    assertEquals(List.of("e1", "e2", "e1b"), log);
  }

  @Test
  void capacityChangedAdmitsWhenTheServingSideHasRoomAgain() {
    AtomicInteger limit = new AtomicInteger(0);
    var s = new VtcScheduler(VtcOptions.defaults(), expert -> limit.get());
    var log = new Admissions();
    submit(s, log, A, "a1", 1);
    submit(s, log, B, "b1", 1);
    assertEquals("", log.joined());
    limit.set(1);
    s.capacityChanged(EXPERT);
    assertEquals("a1", log.joined());
    s.capacityChanged(new ExpertId("never-used")); // unknown lane: nothing happens
    assertEquals(1, s.inflight(EXPERT));
  }

  @Test
  void badInputIsATypedError() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    MeshException negative =
        assertThrows(MeshException.class, () -> s.submit(A, EXPERT, -1, t -> {}));
    assertEquals(ErrorCode.INVALID_REQUEST, negative.code());
    s.close();
    MeshException closed = assertThrows(MeshException.class, () -> s.submit(A, EXPERT, 1, t -> {}));
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, closed.code());
    assertThrows(IllegalArgumentException.class, () -> new VtcOptions(-1, 2, LiftRule.NONE));
    assertThrows(IllegalArgumentException.class, () -> new VtcOptions(0, 0, LiftRule.NONE));
    assertThrows(IllegalArgumentException.class, () -> CapacitySource.fixed(-1));
  }

  @Test
  void concurrentSubmitsCancelsAndCompletionsLeakNoSlots() throws Exception {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(4));
    Tenant[] tenants = {tenant("a", 1, 1_000, 3), tenant("b", 2, 1_000, 2), tenant("c", 1, 5, 1)};
    int threads = 4;
    int perThread = 2_000;
    CountDownLatch done = new CountDownLatch(threads);
    AtomicInteger refused = new AtomicInteger();
    for (int w = 0; w < threads; w++) {
      Thread.ofPlatform()
          .start(
              () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                List<Ticket> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                  Tenant t = tenants[rnd.nextInt(tenants.length)];
                  try {
                    Priority p = rnd.nextBoolean() ? Priority.BATCH : Priority.INTERACTIVE;
                    mine.add(s.submit(t, EXPERT, p, rnd.nextInt(50), tk -> tk.chargeOutput(2)));
                  } catch (MeshException e) {
                    refused.incrementAndGet();
                  }
                  if (!mine.isEmpty() && rnd.nextInt(3) == 0) {
                    Ticket victim = mine.remove(rnd.nextInt(mine.size()));
                    if (rnd.nextBoolean()) {
                      victim.cancel();
                    } else {
                      victim.complete();
                    }
                  }
                }
                mine.forEach(Ticket::complete);
                done.countDown();
              });
    }
    assertTrue(done.await(30, TimeUnit.SECONDS));
    assertEquals(0, s.open());
    assertEquals(0, s.inflight(EXPERT));
    for (Tenant t : tenants) {
      assertEquals(0, s.queued(t.id()));
      assertEquals(0, s.running(t.id()));
    }
    assertTrue(refused.get() > 0, "tenant c's queue of 5 must have overflowed");
    var log = new Admissions();
    for (int i = 0; i < 3; i++) {
      s.submit(A, EXPERT, Priority.BATCH, 1, t -> log.admitted("b", t));
    }
    assertEquals("b b b", log.joined(), "no batch slot leaked: batch still gets 4 - 1 slots");
  }

  // --- priorities -------------------------------------------------------------------------------

  static Ticket submit(
      VtcScheduler s, Admissions log, Tenant t, Priority p, String label, int input) {
    return s.submit(t, EXPERT, p, input, ticket -> log.admitted(label, ticket));
  }

  static final Priority BATCH = Priority.BATCH;
  static final Priority INTERACTIVE = Priority.INTERACTIVE;

  @Test
  void aTenantsInteractiveRequestsGoBeforeItsBatchOnesEachClassInArrivalOrder() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    submit(s, log, A, BATCH, "b1", 1); // the only slot is free: batch may take it
    submit(s, log, A, BATCH, "b2", 1);
    submit(s, log, A, INTERACTIVE, "i1", 1);
    submit(s, log, A, BATCH, "b3", 1);
    submit(s, log, A, INTERACTIVE, "i2", 1);
    for (int i = 0; i < 5; i++) {
      log.tickets.get(i).complete();
    }
    assertEquals("b1 i1 i2 b2 b3", log.joined());
    assertEquals(0, s.open());
  }

  @Test
  void vtcStillPicksTheTenantSoBatchWorkYieldsOnlyWithinItsOwnTenant() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    Ticket a1 = submit(s, log, A, INTERACTIVE, "a1", 10); // a: 10
    submit(s, log, A, INTERACTIVE, "a-interactive", 10);
    submit(s, log, B, BATCH, "b-batch", 10); // lifted to a's 10
    a1.chargeOutput(5); // a: 20
    a1.complete();
    assertEquals(
        "a1 b-batch", log.joined(), "b has the smaller counter: its batch request goes first");
    log.tickets.get(1).complete();
    assertEquals("a1 b-batch a-interactive", log.joined());
  }

  @Test
  void batchRequestsLeaveTheReserveFreeForInteractiveOnes() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(4)); // reserve 1
    var log = new Admissions();
    for (int i = 1; i <= 5; i++) {
      submit(s, log, A, BATCH, "b" + i, 1);
    }
    assertEquals("b1 b2 b3", log.joined(), "batch holds at most 4 - 1 slots");
    assertEquals(3, s.inflight(EXPERT));
    assertEquals(2, s.waiting(EXPERT), "the free slot is held for interactive work");

    submit(s, log, B, INTERACTIVE, "i-b", 1);
    assertEquals("b1 b2 b3 i-b", log.joined(), "another tenant's interactive request: at once");
    submit(s, log, A, INTERACTIVE, "i-a", 1); // the expert is full now
    log.tickets.get(0).complete(); // b1 ends: a's interactive request goes before its batch ones
    assertEquals("b1 b2 b3 i-b i-a", log.joined());
    log.tickets.get(3).complete(); // i-b ends: 2 batch + 1 interactive running, batch has room
    assertEquals("b1 b2 b3 i-b i-a b4", log.joined());
    log.tickets.get(4).complete(); // i-a ends: batch is at 3 again, the free slot stays free
    assertEquals("b1 b2 b3 i-b i-a b4", log.joined());
    assertEquals(3, s.inflight(EXPERT));
    for (Ticket t : List.copyOf(log.tickets)) {
      t.complete();
    }
    assertEquals("b1 b2 b3 i-b i-a b4 b5", log.joined());
    log.tickets.get(6).complete();
    assertEquals(0, s.open());
  }

  @Test
  void theReserveIsAQuarterOfTheSlotsByDefaultAndBatchAlwaysKeepsOneSlot() {
    VtcOptions auto = VtcOptions.defaults();
    assertEquals(0, auto.batchLimit(0));
    assertEquals(1, auto.batchLimit(1), "a single slot cannot be held back");
    assertEquals(1, auto.batchLimit(2));
    assertEquals(3, auto.batchLimit(4));
    assertEquals(6, auto.batchLimit(8));
    VtcOptions none = new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN_OR_LAST_DEPARTED, 0);
    assertEquals(8, none.batchLimit(8));
    VtcOptions large = new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN_OR_LAST_DEPARTED, 10);
    assertEquals(1, large.batchLimit(8));
    assertThrows(
        IllegalArgumentException.class,
        () -> new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN_OR_LAST_DEPARTED, -2));
  }

  @Test
  void aSingleSlotExpertStillRunsBatchWork() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(1));
    var log = new Admissions();
    submit(s, log, A, BATCH, "b1", 1);
    assertEquals("b1", log.joined());
  }

  @Test
  void aBatchRequestBeyondTheTenantsQueueIsRefusedAndLeaksNothing() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(4));
    Tenant noQueue = tenant("q", 1, 0, 100);
    var log = new Admissions();
    for (int i = 0; i < 3; i++) {
      submit(s, log, noQueue, BATCH, "b", 1);
    }
    MeshException full =
        assertThrows(MeshException.class, () -> submit(s, log, noQueue, BATCH, "b4", 1));
    assertEquals(ErrorCode.TENANT_QUEUE_FULL, full.code());
    submit(s, log, noQueue, INTERACTIVE, "i", 1);
    assertEquals("b b b i", log.joined(), "the reserved slot takes the interactive request");
    assertEquals(4, s.open());
    log.tickets.forEach(Ticket::complete);
    assertEquals(0, s.open());
  }

  @Test
  void cancellingQueuedAndAdmittedRequestsOfBothClassesLeaksNoSlot() {
    var s = new VtcScheduler(VtcOptions.defaults(), CapacitySource.fixed(4));
    var log = new Admissions();
    List<Ticket> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.add(submit(s, log, i % 2 == 0 ? A : B, BATCH, "b", 1));
      all.add(submit(s, log, i % 2 == 0 ? B : A, INTERACTIVE, "i", 1));
    }
    assertEquals(4, s.inflight(EXPERT));
    assertEquals(8, s.waiting(EXPERT));
    all.forEach(Ticket::cancel);
    assertEquals(0, s.open());
    assertEquals(0, s.inflight(EXPERT));
    assertEquals(0, s.waiting(EXPERT));
    var after = new Admissions();
    for (int i = 0; i < 4; i++) {
      submit(s, after, A, BATCH, "b", 1);
    }
    assertEquals("b b b", after.joined(), "batch again holds exactly 4 - 1 slots");
  }
}
