package dev.coemesh.signals.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.signal.SignalEvent.KvBlockEvent;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.core.signal.SignalEvent.Topic;
import dev.coemesh.core.signal.SignalEvent.UsageCharge;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.testkit.KafkaBroker;
import dev.coemesh.testkit.KafkaExtension;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against a real KRaft broker; every test gets its own topics (by prefix) and groups. */
@ExtendWith(KafkaExtension.class)
class KafkaSignalBusTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AtomicInteger TEST_NUMBER = new AtomicInteger();

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    Collections.reverse(resources);
    for (AutoCloseable resource : resources) {
      resource.close();
    }
  }

  @Test
  void everySignalTypeReachesItsSubscribersOnAnotherBusUnchanged(KafkaBroker kafka)
      throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    Map<SignalType, List<SignalEvent>> received = new ConcurrentHashMap<>();
    List<SignalEvent> everything = new CopyOnWriteArrayList<>();
    for (SignalType type : SignalType.values()) {
      received.put(type, new CopyOnWriteArrayList<>());
      subscriber.subscribe(type.recordType(), received.get(type)::add);
    }
    subscriber.subscribe(SignalEvent.class, everything::add);
    assertTrue(subscriber.awaitAssignment(WAIT));
    for (SignalType type : SignalType.values()) {
      assertEquals(Long.MIN_VALUE, subscriber.newestConsumedMillis(type), "none consumed yet");
    }

    List<SignalEvent> events =
        SignalCodecTest.events().map(arguments -> (SignalEvent) arguments.get()[0]).toList();
    long sent = System.currentTimeMillis();
    events.forEach(publisher::publish);

    awaitUntil(() -> subscriber.deliveredCount() == events.size(), "all events delivered");
    for (SignalType type : SignalType.values()) {
      List<SignalEvent> expected = events.stream().filter(e -> SignalType.of(e) == type).toList();
      assertEquals(expected, received.get(type), type.name());
      // the producer stamped each record as it sent it: the newest consumed is from this run
      long newest = subscriber.newestConsumedMillis(type);
      assertTrue(newest >= sent && newest <= System.currentTimeMillis(), type + " " + newest);
    }
    assertEquals(events.size(), everything.size());
    assertEquals(events.size(), publisher.publishedCount());
    assertEquals(0, publisher.droppedCount());
    assertEquals(0, subscriber.undecodableCount());
  }

  @Test
  void aSignalPublishedInsideASpanCarriesItsTraceContext(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    assertTrue(publisher.awaitMetadata(WAIT));
    SpanContext request =
        SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            TraceFlags.getSampled(),
            TraceState.getDefault());
    try (Scope ignored = Context.root().with(Span.wrap(request)).makeCurrent()) {
      publisher.publish(charge(7));
    }
    publisher.publish(charge(8)); // outside any span: no header
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put("group.id", prefix + "raw");
    config.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, byte[]> raw =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      raw.subscribe(List.of(prefix + SignalEvent.Topic.USAGE.topicName()));
      List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
      long until = System.nanoTime() + WAIT.toNanos();
      while (records.size() < 2 && System.nanoTime() < until) {
        raw.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      assertEquals(2, records.size());
      Header traced = records.get(0).headers().lastHeader("traceparent");
      assertEquals(
          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          new String(traced.value(), StandardCharsets.US_ASCII));
      assertNull(records.get(1).headers().lastHeader("traceparent"));
    }
  }

  @Test
  void aPublishRightAfterTheMetadataIsKnownIsNotDroppedEvenWithATightMaxBlock(KafkaBroker kafka)
      throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    List<KvBlockEvent> seen = new CopyOnWriteArrayList<>();
    subscriber.subscribe(KvBlockEvent.class, seen::add);
    assertTrue(subscriber.awaitAssignment(WAIT));
    var publisher =
        new KafkaSignalBus(options(kafka, prefix, "publisher").withMaxBlock(Duration.ofMillis(1)));
    resources.add(publisher);
    assertTrue(publisher.awaitMetadata(WAIT));
    publisher.publish(new KvBlockEvent(replica(1), KvBlockEvent.Kind.CLEARED, List.of(), 1));
    awaitUntil(() -> seen.size() == 1, "the first event");
    assertEquals(0, publisher.droppedCount());
  }

  @Test
  void eachReplicasKvEventsArriveInPublicationOrder(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 3);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    Map<String, List<Long>> sequenceByReplica = new ConcurrentHashMap<>();
    subscriber.subscribe(
        KvBlockEvent.class,
        e ->
            sequenceByReplica
                .computeIfAbsent(e.key(), k -> new CopyOnWriteArrayList<>())
                .add(e.timestampMs()));
    assertTrue(subscriber.awaitAssignment(WAIT));

    int replicas = 5;
    int events = 1_000;
    for (int i = 0; i < events; i++) {
      publisher.publish(
          new KvBlockEvent(replica(i % replicas), KvBlockEvent.Kind.STORED, List.of((long) i), i));
    }

    awaitUntil(() -> subscriber.deliveredCount() == events, "1,000 events delivered");
    for (int r = 0; r < replicas; r++) {
      int first = r;
      List<Long> expected =
          IntStream.range(0, events)
              .filter(i -> i % replicas == first)
              .mapToObj(i -> (long) i)
              .toList();
      assertEquals(expected, sequenceByReplica.get(replica(r).toString()), "replica " + r);
    }
    assertEquals(events, publisher.publishedCount());
  }

  @Test
  void aThrowingSubscriberDoesNotStopDeliveryToTheOthers(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    subscriber.subscribe(
        UsageCharge.class,
        e -> {
          throw new IllegalStateException("subscriber bug");
        });
    List<Long> seen = new CopyOnWriteArrayList<>();
    subscriber.subscribe(UsageCharge.class, e -> seen.add(e.inputTokens()));
    assertTrue(subscriber.awaitAssignment(WAIT));

    for (int i = 0; i < 20; i++) {
      publisher.publish(charge(i));
    }

    awaitUntil(() -> seen.size() == 20, "20 charges seen");
    assertEquals(zeroTo(20), seen);
    assertEquals(20, subscriber.subscriberFailureCount());
    assertEquals(20, subscriber.deliveredCount());
  }

  @Test
  void aClosedSubscriptionGetsNoFurtherEvents(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    List<Long> closedEarly = new CopyOnWriteArrayList<>();
    List<Long> stayed = new CopyOnWriteArrayList<>();
    AutoCloseable handle =
        subscriber.subscribe(UsageCharge.class, e -> closedEarly.add(e.inputTokens()));
    subscriber.subscribe(UsageCharge.class, e -> stayed.add(e.inputTokens()));
    assertTrue(subscriber.awaitAssignment(WAIT));

    publisher.publish(charge(0));
    awaitUntil(() -> stayed.size() == 1, "first charge seen");
    handle.close();
    publisher.publish(charge(1));
    awaitUntil(() -> stayed.size() == 2, "second charge seen");

    assertEquals(List.of(0L), closedEarly);
    assertEquals(List.of(0L, 1L), stayed);
  }

  @Test
  void undecodableRecordsAreSkippedAndCounted(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 1);
    String sloTopic = prefix + Topic.SLO.topicName();
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    List<SloReport> seen = new CopyOnWriteArrayList<>();
    subscriber.subscribe(SloReport.class, seen::add);
    assertTrue(subscriber.awaitAssignment(WAIT));

    List<byte[]> junk =
        List.of(
            new byte[] {0, 1, 2, (byte) 0xff},
            "{}".getBytes(UTF_8),
            "{\"v\":99,\"type\":\"slo-report\"}".getBytes(UTF_8),
            "{\"v\":1,\"type\":\"slo-report\",\"pool\":\"p\"}".getBytes(UTF_8));
    try (var raw =
        new KafkaProducer<>(
            new HashMap<>(kafka.clientConfig()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (byte[] value : junk) {
        raw.send(new ProducerRecord<>(sloTopic, value)).get();
      }
      raw.send(new ProducerRecord<>(sloTopic, null)).get(); // a tombstone
    }
    SloReport valid = new SloReport("pool", 0.9, 0.8, 3.5, 1_000, 7);
    publisher.publish(valid); // behind the junk on the topic's one partition

    awaitUntil(() -> seen.size() == 1, "the valid report after the junk");
    assertEquals(List.of(valid), seen);
    assertEquals(junk.size() + 1, subscriber.undecodableCount());
    assertEquals(1, subscriber.deliveredCount());
  }

  @Test
  void publishReturnsQuicklyAndCountsDropsWhenNoBrokerAnswers() throws Exception {
    var options = KafkaSignalOptions.of("127.0.0.1:" + closedPort(), "nobody-home");
    var bus = new KafkaSignalBus(options);
    resources.add(bus);
    long slowestNanos = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      long before = System.nanoTime();
      bus.publish(charge(i));
      slowestNanos = Math.max(slowestNanos, System.nanoTime() - before);
    }
    long totalNanos = System.nanoTime() - start;

    // One publish waits maxBlock (100 ms) for metadata; the gate then drops the rest at once.
    assertTrue(slowestNanos < Duration.ofSeconds(1).toNanos(), "slowest " + slowestNanos + " ns");
    assertTrue(totalNanos < Duration.ofSeconds(2).toNanos(), "all 200 took " + totalNanos + " ns");
    assertEquals(200, bus.droppedCount());
    assertEquals(0, bus.publishedCount());
  }

  @Test
  void aBrokerThatStopsLeavesPublishFastAndEveryLaterEventCountedAsDropped() throws Exception {
    var broker = KafkaBroker.startNew(); // its own: the shared one must stay up
    KafkaSignalBus bus;
    AtomicInteger attempts = new AtomicInteger();
    try {
      String prefix = createTopics(broker, 1);
      // Default options: the point is how long publish may block.
      bus =
          new KafkaSignalBus(
              KafkaSignalOptions.of(broker.bootstrapServers(), "orphan").withTopicPrefix(prefix));
      resources.add(bus);
      // One event at a time until one is acknowledged: a first contact slower than maxBlock on a
      // busy
      // machine drops an event and closes the gate for a second, which is allowed.
      awaitUntil(
          () -> {
            if (bus.publishedCount() + bus.droppedCount() == attempts.get()) {
              attempts.incrementAndGet();
              bus.publish(charge(0));
            }
            return bus.publishedCount() == 1;
          },
          "one charge acknowledged");
    } finally {
      broker.close();
    }
    awaitUntil(() -> refusesConnections(broker.bootstrapServers()), "the broker's port closed");
    long droppedBefore = bus.droppedCount();

    long slowestNanos = 0;
    for (int i = 1; i <= 100; i++) {
      long before = System.nanoTime();
      bus.publish(charge(i));
      slowestNanos = Math.max(slowestNanos, System.nanoTime() - before);
    }
    // At most one publish waits maxBlock (100 ms) when the stopping broker's metadata went stale;
    // the rest either queue for it or meet the closed gate.
    assertTrue(slowestNanos < Duration.ofSeconds(1).toNanos(), "slowest " + slowestNanos + " ns");

    long start = System.nanoTime();
    bus.close();
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
    // Every event is accounted for. (A broker still finishing its shutdown may take the first.)
    assertEquals(attempts.get() + 100, bus.publishedCount() + bus.droppedCount());
    assertTrue(bus.droppedCount() - droppedBefore >= 90, () -> "dropped " + bus.droppedCount());
  }

  @Test
  void closeIsQuickEvenWithASubscriberAndNoBroker() throws Exception {
    var bus = new KafkaSignalBus(KafkaSignalOptions.of("127.0.0.1:" + closedPort(), "lonely"));
    bus.subscribe(SignalEvent.class, e -> {});
    bus.publish(charge(1));
    Thread.sleep(300); // let the poll thread start knocking on the closed port

    long start = System.nanoTime();
    bus.close();
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
  }

  @Test
  void closeFlushesPendingEventsAndLaterCallsAreSafe(KafkaBroker kafka) throws Exception {
    String prefix = createTopics(kafka, 1);
    KafkaSignalBus publisher = bus(kafka, prefix, "publisher");
    KafkaSignalBus subscriber = bus(kafka, prefix, "subscriber");
    List<SignalEvent> seen = new CopyOnWriteArrayList<>();
    subscriber.subscribe(SignalEvent.class, seen::add);
    assertTrue(subscriber.awaitAssignment(WAIT));
    for (int i = 0; i < 100; i++) {
      publisher.publish(charge(i));
    }

    long start = System.nanoTime();
    publisher.close();
    subscriber.close();
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);

    assertEquals(100, publisher.publishedCount(), "close waits for the pending sends");
    publisher.publish(charge(100));
    assertEquals(1, publisher.droppedCount(), "a publish after close is dropped, not thrown");
    assertThrows(IllegalStateException.class, () -> subscriber.subscribe(SloReport.class, e -> {}));
    publisher.close(); // idempotent
  }

  private String createTopics(KafkaBroker kafka, int partitions) throws Exception {
    String prefix = "t" + TEST_NUMBER.incrementAndGet() + "-" + System.nanoTime() + ".";
    List<NewTopic> topics = new ArrayList<>();
    for (Topic topic : Topic.values()) {
      topics.add(new NewTopic(prefix + topic.topicName(), partitions, (short) 1));
    }
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      admin.createTopics(topics).all().get();
    }
    return prefix;
  }

  private static KafkaSignalOptions options(KafkaBroker kafka, String prefix, String name) {
    // These tests are about delivery, not latency: a generous maxBlock keeps the very first
    // metadata fetch on a busy machine from tripping the outage gate.
    return KafkaSignalOptions.of(kafka.bootstrapServers(), name)
        .withTopicPrefix(prefix)
        .withGroupId(prefix + name)
        .withMaxBlock(Duration.ofSeconds(5));
  }

  private KafkaSignalBus bus(KafkaBroker kafka, String prefix, String name) {
    var bus = new KafkaSignalBus(options(kafka, prefix, name));
    resources.add(bus);
    return bus;
  }

  private static ReplicaId replica(int n) {
    return new ReplicaId(new ExpertId("code-expert"), ReplicaRole.DECODE, "replica-" + n);
  }

  private static UsageCharge charge(long inputTokens) {
    return new UsageCharge(new TenantId("acme"), "gw-1", inputTokens, 0, inputTokens);
  }

  private static int closedPort() throws Exception {
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean refusesConnections(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    try (var socket =
        new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static void awaitUntil(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }

  private static List<Long> zeroTo(int n) {
    return IntStream.range(0, n).mapToObj(i -> (long) i).toList();
  }
}
