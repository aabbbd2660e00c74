package dev.coemesh.gateway.fair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.FairScheduler.Ticket;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.testkit.KafkaProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The usage exchange between two gateway replicas' schedulers over a real KRaft broker in a process
 * of its own: a replica that starts late rebuilds its counters from the topic, and a broker outage
 * makes each replica report local-only VTC and lose nothing: once the broker is back, the other
 * replica's counters catch up with everything served meanwhile.
 */
class GlobalUsageKafkaTest {
  static final ExpertId EXPERT = new ExpertId("e1");
  static final Tenant A = new Tenant(new TenantId("a"), 2, 100, 100, 0);
  static final Tenant B = new Tenant(new TenantId("b"), 1, 100, 100, 0);
  // counters move by charges only, so the expected values are plain sums
  static final VtcOptions NO_LIFT = new VtcOptions(1, 2, LiftRule.NONE);
  static final Duration WAIT = Duration.ofSeconds(60);

  static KafkaProcess kafka;
  final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void startKafka() {
    kafka = KafkaProcess.startNew();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aReplicaThatStartsLateRebuildsTheCountersFromTheTopic() throws Exception {
    String prefix = "late-" + UUID.randomUUID() + ".";
    VtcScheduler east = replica(prefix, "east#1");
    serve(east, A, 100, 20); // a: 100 in, 20 out
    serve(east, B, 30, 0);
    east.flushUsage();
    await(() -> east.exchange() == VtcScheduler.Exchange.GLOBAL, "east's totals came back");
    east.close(); // that incarnation is gone; what it served still counts

    VtcScheduler eastAgain = replica(prefix, "east#2"); // the same replica, restarted
    serve(eastAgain, A, 10, 0);
    eastAgain.flushUsage();

    VtcScheduler west = replica(prefix, "west#1");
    // a tenant's remote service waits for its weight, known at its first request here
    serve(west, A, 0, 0);
    serve(west, B, 0, 0);
    await(() -> west.counter(A.id()) == (110 + 2 * 20) / 2.0, "a's service over both incarnations");
    await(() -> west.counter(B.id()) == 30.0, "b's service");
    assertEquals(
        new VtcScheduler.Service(110, 20),
        west.tenants().stream()
            .filter(v -> v.tenant().equals(A.id()))
            .findFirst()
            .orElseThrow()
            .otherReplicas());
  }

  @Test
  void aBrokerOutageMeansLocalCountersThenTheReplicasConverge() throws Exception {
    String prefix = "outage-" + UUID.randomUUID() + ".";
    VtcScheduler east = replica(prefix, "east#1");
    VtcScheduler west = replica(prefix, "west#1");
    serve(west, A, 0, 0);
    serve(east, A, 40, 0);
    await(() -> west.counter(A.id()) == 20.0, "west sees east's charge");
    assertEquals(VtcScheduler.Exchange.GLOBAL, east.exchange());

    kafka.stop();
    try {
      serve(east, A, 60, 10); // served during the outage: its totals cannot be delivered
      await(
          () -> east.exchange() == VtcScheduler.Exchange.LOCAL_ONLY, "east reports local-only VTC");
      assertEquals(20.0, west.counter(A.id()), "nothing reached west while Kafka was down");
      assertEquals((100 + 2 * 10) / 2.0, east.counter(A.id()), "east keeps counting locally");
    } finally {
      kafka.start();
    }
    await(() -> west.counter(A.id()) == (100 + 2 * 10) / 2.0, "west catches up after the outage");
    await(() -> east.exchange() == VtcScheduler.Exchange.GLOBAL, "east shares again");
    assertTrue(east.usageRoundTripMillis() >= 0);
  }

  /** One gateway replica's scheduler, flushing every 50 ms and resending every 300 ms. */
  VtcScheduler replica(String topicPrefix, String incarnation) throws Exception {
    KafkaSignalBus bus =
        new KafkaSignalBus(
            KafkaSignalOptions.of(kafka.bootstrapServers(), "gw-" + UUID.randomUUID())
                .withTopicPrefix(topicPrefix));
    open.add(bus);
    VtcScheduler scheduler =
        new VtcScheduler(
            NO_LIFT,
            CapacitySource.fixed(8),
            new GlobalUsage(
                bus,
                incarnation,
                Duration.ofMillis(50),
                Duration.ofMillis(300),
                Duration.ofMinutes(10),
                Duration.ofSeconds(2)));
    open.add(scheduler::close);
    assertTrue(bus.awaitHistory(WAIT), "history replayed");
    return scheduler;
  }

  static void serve(VtcScheduler scheduler, Tenant tenant, int input, int output) {
    Ticket t = scheduler.submit(tenant, EXPERT, input, x -> {});
    assertTrue(t.admitted());
    t.chargeOutput(output);
    t.complete();
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not reached within " + WAIT + ": " + what);
      }
      Thread.sleep(20);
    }
  }
}
