package dev.coemesh.core.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.tenant.TenantId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InProcessSignalBusTest {

  @Test
  void deliversEventsOfTheSubscribedTypeInPublicationOrder() throws Exception {
    try (var bus = new InProcessSignalBus(1024)) {
      List<Long> seen = new CopyOnWriteArrayList<>();
      CountDownLatch done = new CountDownLatch(100);
      bus.subscribe(
          SignalEvent.UsageCharge.class,
          e -> {
            seen.add(e.inputTokens());
            done.countDown();
          });
      for (int i = 0; i < 100; i++) {
        bus.publish(new SignalEvent.UsageCharge(new TenantId("a"), "gw-1", i, 0, 0));
        bus.publish(new SignalEvent.SloReport("pool", 1, 1, 1, 1000, 0));
      }
      done.await(5, TimeUnit.SECONDS);
      assertEquals(java.util.stream.LongStream.range(0, 100).boxed().toList(), seen);
    }
  }

  @Test
  void dropsAndCountsWhenFullInsteadOfBlocking() throws Exception {
    try (var bus = new InProcessSignalBus(1)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch entered = new CountDownLatch(1);
      bus.subscribe(
          SignalEvent.class,
          e -> {
            entered.countDown();
            try {
              release.await();
            } catch (InterruptedException ignored) {
              Thread.currentThread().interrupt();
            }
          });
      bus.publish(new SignalEvent.SloReport("p", 1, 1, 1, 1, 0)); // taken by the worker
      entered.await(5, TimeUnit.SECONDS);
      bus.publish(new SignalEvent.SloReport("p", 1, 1, 1, 1, 0)); // fills the queue
      bus.publish(new SignalEvent.SloReport("p", 1, 1, 1, 1, 0)); // dropped
      bus.publish(new SignalEvent.SloReport("p", 1, 1, 1, 1, 0)); // dropped
      assertEquals(2, bus.droppedCount());
      release.countDown();
    }
  }
}
