package dev.coemesh.signals.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A bus's one {@link KafkaConsumer} and the thread that polls it. A KafkaConsumer may only be used
 * by one thread, so every call to it but {@code wakeup()} happens on the poll thread; other threads
 * only announce that the wanted topics changed, and the poll thread re-subscribes.
 */
final class SignalPoller {
  private static final Duration CLOSE_TIMEOUT = PollLoop.CLOSE_TIMEOUT;
  private static final Duration POSITION_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaConsumer<String, byte[]> consumer;
  private final Supplier<Set<String>> wantedTopics;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Duration pollTimeout;
  private final Thread thread;

  // Versions of the wanted topic set: bumped by topicsChanged(), applied by the poll thread, and
  // assigned once the group has given this consumer its partitions and their start offsets.
  private final AtomicInteger wantedVersion = new AtomicInteger();
  private volatile int appliedVersion;
  private volatile int assignedVersion;
  private final Object assignedMonitor = new Object();
  private Set<String> appliedTopics = Set.of(); // poll thread only
  // Partitions the last rebalance assigned whose start offsets are not fixed yet, and the applied
  // version that rebalance belongs to (-1: none pending). Poll thread only.
  private final Set<TopicPartition> unpositioned = new HashSet<>();
  private int rebalancedVersion = -1;
  private volatile boolean closing;

  SignalPoller(
      Map<String, Object> consumerConfig,
      Supplier<Set<String>> wantedTopics,
      Consumer<ConsumerRecord<String, byte[]>> handler,
      Duration pollTimeout,
      String threadName) {
    this.consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
    this.wantedTopics = wantedTopics;
    this.handler = handler;
    this.pollTimeout = pollTimeout;
    this.thread = Thread.ofPlatform().daemon().name(threadName).start(this::run);
  }

  /** Makes the poll thread re-read the wanted topics now rather than after its current poll. */
  void topicsChanged() {
    wantedVersion.incrementAndGet();
    consumer.wakeup();
    LockSupport.unpark(thread);
  }

  /**
   * Waits until the consumer holds its partitions for the topics wanted at the time of the call,
   * with their start offsets fixed, so every event published afterwards will be delivered.
   */
  boolean awaitAssignment(Duration timeout) throws InterruptedException {
    int target = wantedVersion.get();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (assignedMonitor) {
      while (assignedVersion < target) {
        long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0 || closing) {
          return false;
        }
        assignedMonitor.wait(remainingMs);
      }
      return true;
    }
  }

  /** Asks the poll thread to stop and close the consumer; see {@link #awaitClosed}. */
  void beginClose() {
    closing = true;
    consumer.wakeup();
    LockSupport.unpark(thread);
    synchronized (assignedMonitor) {
      assignedMonitor.notifyAll();
    }
  }

  /** Waits for the consumer to leave its group, bounded even when the broker is gone. */
  void awaitClosed() {
    if (Thread.currentThread() == thread) {
      return; // a subscriber closed the bus; the loop ends when the subscriber returns
    }
    try {
      thread.join(CLOSE_TIMEOUT.plus(pollTimeout).plusSeconds(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    PollLoop.run(consumer, () -> closing, this::turn, "signal consumer");
  }

  private void turn() {
    applyWantedTopics();
    if (appliedTopics.isEmpty()) {
      LockSupport.parkNanos(pollTimeout.toNanos());
      return;
    }
    for (ConsumerRecord<String, byte[]> record : consumer.poll(pollTimeout)) {
      handler.accept(record);
    }
    fixStartOffsets();
  }

  private void applyWantedTopics() {
    int version = wantedVersion.get();
    if (version == appliedVersion) {
      return;
    }
    Set<String> topics = Set.copyOf(wantedTopics.get());
    boolean wasAssigned = assignedVersion == appliedVersion;
    boolean unchanged = topics.equals(appliedTopics);
    appliedTopics = topics;
    appliedVersion = version;
    if (topics.isEmpty()) {
      consumer.unsubscribe();
      markAssigned(version);
    } else if (unchanged) {
      // Kafka does not rebalance for an unchanged subscription, so no callback would come.
      if (wasAssigned) {
        markAssigned(version);
      }
    } else {
      consumer.subscribe(topics, new AssignmentTracker());
    }
  }

  private void markAssigned(int version) {
    synchronized (assignedMonitor) {
      assignedVersion = Math.max(assignedVersion, version);
      assignedMonitor.notifyAll();
    }
  }

  /**
   * Resolves the start offset of each partition the last rebalance assigned, then reports the
   * assignment. With {@code auto.offset.reset=latest} the end offset is looked up asynchronously,
   * and whatever is published before that lookup is skipped; only once {@code position()} returns
   * is every later event sure to be delivered. Done here rather than in the rebalance callback so
   * that a wakeup interrupting it merely retries it on the next turn of the loop.
   */
  private void fixStartOffsets() {
    if (rebalancedVersion < 0) {
      return;
    }
    Set<TopicPartition> assigned = consumer.assignment();
    for (Iterator<TopicPartition> it = unpositioned.iterator(); it.hasNext(); ) {
      TopicPartition partition = it.next();
      if (assigned.contains(partition)) {
        consumer.position(partition, POSITION_TIMEOUT);
      }
      it.remove();
    }
    markAssigned(rebalancedVersion);
    rebalancedVersion = -1;
  }

  /** Runs inside {@code poll()}, on the poll thread; only notes what changed. */
  private final class AssignmentTracker implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      unpositioned.addAll(partitions);
      rebalancedVersion = appliedVersion;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      unpositioned.removeAll(partitions);
    }
  }
}
