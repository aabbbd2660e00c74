package dev.coemesh.gateway.fair;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.FairScheduler.Ticket;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class GlobalUsageTest {
  static final ExpertId EXPERT = new ExpertId("e1");
  static final Tenant A = new Tenant(new TenantId("a"), 2, 10, 10, 0);
  static final Tenant B = new Tenant(new TenantId("b"), 1, 10, 10, 0);

  static void await(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not reached within 5 s");
      }
      Thread.sleep(5);
    }
  }

  @Test
  void eachReplicaPublishesItsChargesOncePerTenantAndAppliesTheOthers() throws Exception {
    try (var bus = new InProcessSignalBus(1024)) {
      List<SignalEvent.UsageCharge> seen = new CopyOnWriteArrayList<>();
      bus.subscribe(SignalEvent.UsageCharge.class, seen::add);
      Duration manual = Duration.ofHours(1); // flushed by hand below
      var noIdleLift =
          new VtcOptions(1, 2, LiftRule.BACKLOGGED_MIN); // counters move by charges only
      var east =
          new VtcScheduler(
              noIdleLift, CapacitySource.fixed(4), new GlobalUsage(bus, "east", manual));
      var west =
          new VtcScheduler(
              noIdleLift, CapacitySource.fixed(4), new GlobalUsage(bus, "west", manual));

      Ticket t = east.submit(A, EXPERT, 10, x -> {});
      t.chargeOutput(3);
      t.chargeOutput(2);
      t.complete();
      assertEquals(10.0, east.counter(A.id())); // (10 + 2·5) / 2
      east.flushUsage();
      east.flushUsage(); // nothing new: no second event
      await(() -> seen.size() == 1);
      SignalEvent.UsageCharge charge = seen.get(0);
      assertEquals(new TenantId("a"), charge.tenant());
      assertEquals("east", charge.gateway());
      assertEquals(10, charge.inputTokens());
      assertEquals(5, charge.outputTokens());

      // west had not seen tenant a: the charge waits for its weight, then counts
      west.submit(A, EXPERT, 0, x -> {}).complete();
      await(() -> west.counter(A.id()) == 10.0); // (10 + 2·5) / 2, whichever came first
      assertEquals(10.0, east.counter(A.id()), "its own event is not applied twice");

      // once known, a remote charge applies at once
      west.submit(B, EXPERT, 4, x -> {}).complete();
      west.flushUsage();
      await(() -> seen.size() == 2);
      east.submit(B, EXPERT, 1, x -> {}).complete();
      await(() -> east.counter(B.id()) == 5.0); // west's 4 + its own 1, in either order
      west.flushUsage();
      east.flushUsage();
      await(() -> seen.size() == 3);
      await(() -> west.counter(B.id()) == 5.0);
      east.close();
      west.close();
    }
  }

  @Test
  void chargesAreFlushedPeriodicallyWithoutBeingAsked() throws Exception {
    try (var bus = new InProcessSignalBus(1024)) {
      var east =
          new VtcScheduler(
              VtcOptions.defaults(),
              CapacitySource.fixed(1),
              new GlobalUsage(bus, "east", Duration.ofMillis(20)));
      var west =
          new VtcScheduler(
              VtcOptions.defaults(),
              CapacitySource.fixed(1),
              new GlobalUsage(bus, "west", Duration.ofMillis(20)));
      west.submit(B, EXPERT, 0, x -> {}).complete();
      east.submit(B, EXPERT, 7, x -> {}).complete();
      await(() -> west.counter(B.id()) == 7.0);
      east.close();
      west.close();
    }
  }
}
