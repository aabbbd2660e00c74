package dev.coemesh.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SloPublisherTest {
  private static final ExpertId CHAT = new ExpertId("chat");
  private static final ExpertId CODE = new ExpertId("code");

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final SloTracker tracker =
      new SloTracker(
          new SloTargets(Duration.ofSeconds(2), Duration.ofMillis(100), Map.of()),
          Duration.ofSeconds(60),
          new SimpleMeterRegistry(),
          clock::get);

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  @Test
  void oneReportPerExpertFromTheWindow() {
    tracker.served(CODE, ms(100), ms(50)); // both met
    tracker.served(CODE, ms(3000), ms(50)); // TTFT missed
    tracker.served(CODE, ms(100), ms(150)); // TPOT missed
    tracker.served(CODE, ms(100), null); // one token: TTFT met, no TPOT to miss

    try (var publisher =
        new SloPublisher(
            tracker, new InProcessSignalBus(8), List.of(CHAT, CODE), null, clock::get)) {
      List<SloReport> reports = publisher.reports();
      assertEquals(2, reports.size());
      SloReport chat = reports.get(0);
      assertEquals("chat", chat.pool());
      assertTrue(Double.isNaN(chat.ttftAttainment()), "an idle pool is idle, not breaching");
      assertTrue(Double.isNaN(chat.tpotAttainment()));
      assertEquals(0.0, chat.goodputRps());
      assertEquals(
          new SloReport("code", 0.75, 2.0 / 3, 2 / 60.0, 60_000, clock.get()), reports.get(1));
    }
  }

  @Test
  void publishesOnTheBusEveryInterval() throws Exception {
    tracker.served(CHAT, ms(100), ms(50));
    LinkedBlockingQueue<SloReport> seen = new LinkedBlockingQueue<>();
    try (var bus = new InProcessSignalBus(64)) {
      bus.subscribe(SloReport.class, seen::add);
      try (var publisher =
          new SloPublisher(tracker, bus, List.of(CHAT), Duration.ofMillis(50), clock::get)) {
        SloReport first = seen.poll(5, TimeUnit.SECONDS);
        SloReport second = seen.poll(5, TimeUnit.SECONDS);
        assertEquals(new SloReport("chat", 1.0, 1.0, 1 / 60.0, 60_000, clock.get()), first);
        assertEquals(first, second);
      }
    }
  }
}
