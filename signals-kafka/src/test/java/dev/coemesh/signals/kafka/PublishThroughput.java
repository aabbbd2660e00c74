package dev.coemesh.signals.kafka;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.signal.SignalEvent.Topic;
import dev.coemesh.testkit.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Times the bus against a real in-process broker (a measurement, not a test): the caller's cost per
 * {@code publish}, broker-acknowledged throughput, and delivery to a subscriber on a second bus.
 * Default options, so drops under load show up as they would in production.
 *
 * <p>How to run it, and results: see the module's README ("Measured throughput").
 */
public final class PublishThroughput {
  private static final int REPLICAS = 64;
  private static final int WARM_UP = 20_000;

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    List<LoadReport> reports = new ArrayList<>(REPLICAS);
    for (int r = 0; r < REPLICAS; r++) {
      var replica = new ReplicaId(new ExpertId("code-expert"), ReplicaRole.DECODE, "replica-" + r);
      reports.add(new LoadReport(replica, 12, 8, 1_200, 2_896, 183.5, 21.25, 1_700_000_000_000L));
    }
    try (KafkaBroker kafka = KafkaBroker.startNew()) {
      try (Admin admin = Admin.create(kafka.clientConfig())) {
        List<NewTopic> topics = new ArrayList<>();
        for (Topic topic : Topic.values()) {
          topics.add(new NewTopic(topic.topicName(), 3, (short) 1)); // as infra/infra.sh creates
        }
        admin.createTopics(topics).all().get();
      }
      try (var publisher =
              new KafkaSignalBus(KafkaSignalOptions.of(kafka.bootstrapServers(), "bench-pub"));
          var subscriber =
              new KafkaSignalBus(KafkaSignalOptions.of(kafka.bootstrapServers(), "bench-sub"))) {
        subscriber.subscribe(LoadReport.class, report -> {});
        if (!subscriber.awaitAssignment(Duration.ofSeconds(30))) {
          throw new IllegalStateException("the subscriber never got its partitions");
        }
        for (int i = 0; i < WARM_UP; i++) {
          publisher.publish(reports.get(i % REPLICAS));
        }
        await(() -> subscriber.deliveredCount() + publisher.droppedCount() >= WARM_UP);
        long deliveredBefore = subscriber.deliveredCount();
        long droppedBefore = publisher.droppedCount();
        long ackedBefore = publisher.publishedCount();

        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
          publisher.publish(reports.get(i % REPLICAS));
        }
        long published = System.nanoTime();
        await(() -> publisher.publishedCount() + publisher.droppedCount() >= WARM_UP + events);
        long acked = System.nanoTime();
        long dropped = publisher.droppedCount() - droppedBefore;
        await(() -> subscriber.deliveredCount() - deliveredBefore >= events - dropped);
        long delivered = System.nanoTime();

        System.out.printf(
            "%,d LoadReports (%d bytes each), %d keys, 3 partitions, %d cores%n",
            events,
            new SignalCodec().encode(reports.get(0)).length,
            REPLICAS,
            Runtime.getRuntime().availableProcessors());
        System.out.printf(
            "publish() calls: %,.0f/s, mean %.2f us per call%n",
            events / seconds(published - start), (published - start) / 1e3 / events);
        System.out.printf(
            "acknowledged:    %,.0f/s (%,d acked, %,d dropped)%n",
            (publisher.publishedCount() - ackedBefore) / seconds(acked - start),
            publisher.publishedCount() - ackedBefore,
            dropped);
        System.out.printf(
            "delivered:       %,.0f/s to a subscriber on a second bus%n",
            (subscriber.deliveredCount() - deliveredBefore) / seconds(delivered - start));
      }
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out");
      }
      Thread.sleep(1);
    }
  }
}
