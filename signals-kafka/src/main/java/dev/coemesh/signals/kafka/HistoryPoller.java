package dev.coemesh.signals.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One subscription that reads its topics from a point in the past: a consumer outside any group
 * that assigns itself every partition, seeks each to the first record at or after {@code now -
 * history}, and then follows new records like any subscriber. A consumer group could not do this:
 * it starts at the end or at committed offsets. Records are handed to {@code handler} on the poll
 * thread, oldest first per partition.
 *
 * <p>While the broker is away the consumer keeps its positions and retries, so nothing published
 * after the outage is missed once the broker answers again.
 */
final class HistoryPoller {
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = PollLoop.CLOSE_TIMEOUT;
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaConsumer<String, byte[]> consumer;
  private final Set<String> topics;
  private final Duration history;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Duration pollTimeout;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private Map<TopicPartition, Long> catchUpTo = Map.of(); // poll thread only: ends at assignment
  private volatile boolean closing;
  private boolean assigned; // poll thread only

  HistoryPoller(
      Map<String, Object> consumerConfig,
      Set<String> topics,
      Duration history,
      Consumer<ConsumerRecord<String, byte[]>> handler,
      Duration pollTimeout,
      String threadName) {
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG); // self-assigned: no group, nothing committed
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.topics = Set.copyOf(topics);
    this.history = history;
    this.handler = handler;
    this.pollTimeout = pollTimeout;
    this.thread = Thread.ofPlatform().daemon().name(threadName).start(this::run);
  }

  /** True once every record retained from the history window has been handed over. */
  boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  void close() {
    closing = true;
    consumer.wakeup();
    LockSupport.unpark(thread);
    if (Thread.currentThread() != thread) {
      try {
        thread.join(CLOSE_TIMEOUT.plus(pollTimeout).plusSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    PollLoop.run(consumer, () -> closing, this::turn, "signal history consumer");
  }

  private void turn() {
    if (!assigned) {
      assigned = assignFromHistory();
      if (!assigned) {
        LockSupport.parkNanos(RETRY.toNanos());
        return;
      }
    }
    for (ConsumerRecord<String, byte[]> record : consumer.poll(pollTimeout)) {
      handler.accept(record);
    }
    checkCaughtUp();
  }

  /** Assigns every partition of the topics and seeks into the window; false if none are known. */
  private boolean assignFromHistory() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        return false; // not created yet: nothing published, try again shortly
      }
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
    }
    consumer.assign(partitions);
    long since = System.currentTimeMillis() - history.toMillis();
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition partition : partitions) {
      query.put(partition, since);
    }
    Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    for (TopicPartition partition : partitions) {
      OffsetAndTimestamp start = starts.get(partition);
      consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
    }
    catchUpTo = ends;
    checkCaughtUp();
    return true;
  }

  private void checkCaughtUp() {
    if (caughtUp.getCount() == 0) {
      return;
    }
    for (Map.Entry<TopicPartition, Long> end : catchUpTo.entrySet()) {
      if (consumer.position(end.getKey(), METADATA_TIMEOUT) < end.getValue()) {
        return;
      }
    }
    caughtUp.countDown();
  }
}
