package dev.coemesh.signals.kafka;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.signal.SignalEvent.Topic;
import dev.coemesh.core.spi.SignalBus;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The distributed mode's {@link SignalBus}: each signal is one JSON record ({@link SignalCodec}) on
 * its topic ({@code mesh.load}, ...), keyed by {@link SignalEvent#key()} so one replica's, tenant's
 * or pool's events stay in order.
 *
 * <p>Publishing is at most once and never holds the caller for long: the send is asynchronous, a
 * full buffer or missing topic metadata costs at most {@link KafkaSignalOptions#maxBlock()}, and
 * after a broker timeout further publishes drop at once (one probe per second) until the broker
 * answers again. Every lost event is counted in {@link #droppedCount()}, never thrown. Topic
 * metadata is fetched in the background from construction on, so first publishes rarely wait.
 *
 * <p>Subscribing starts one consumer per bus, created on the first {@code subscribe}, that polls
 * every subscribed topic on one daemon thread and calls the subscribers there. It starts at the end
 * of each topic (or at the group's committed offsets), so a subscriber sees events published after
 * it joined; {@link #awaitAssignment} tells when that is. Undecodable records are skipped and
 * counted; a subscriber that throws is logged and counted, and delivery goes on.
 *
 * <p>Thread-safe.
 */
public final class KafkaSignalBus implements SignalBus {
  private static final TextMapPropagator TRACE_CONTEXT = W3CTraceContextPropagator.getInstance();

  private static final System.Logger LOG = System.getLogger(KafkaSignalBus.class.getName());
  private static final Duration OUTAGE_BACKOFF = Duration.ofSeconds(1);
  private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration METADATA_WARM_UP = Duration.ofSeconds(30);
  // A signal that took longer than this to reach the broker describes a past state; drop it.
  private static final int DELIVERY_TIMEOUT_MS = 10_000;
  private static final int REQUEST_TIMEOUT_MS = 5_000;

  private record Subscription<E extends SignalEvent>(
      Class<E> type, Consumer<? super E> subscriber, Set<String> topics) {
    void offer(SignalEvent event) {
      if (type.isInstance(event)) {
        subscriber.accept(type.cast(event));
      }
    }
  }

  private final KafkaSignalOptions options;
  private final Map<Topic, String> topicNames = new EnumMap<>(Topic.class);
  private final SignalCodec codec = new SignalCodec();
  private final KafkaProducer<String, byte[]> producer;
  private final OutageGate gate = new OutageGate(OUTAGE_BACKOFF);
  private final List<Subscription<?>> subscriptions = new CopyOnWriteArrayList<>();

  private final LongAdder published = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder undecodable = new LongAdder();
  private final LongAdder subscriberFailures = new LongAdder();
  private final Map<SignalType, AtomicLong> newest = new EnumMap<>(SignalType.class);

  private final CountDownLatch metadata = new CountDownLatch(1); // every topic's partitions known
  private final Object lifecycle = new Object();
  private SignalPoller poller; // guarded by lifecycle; created by the first subscribe
  private final List<HistoryPoller> historyPollers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public KafkaSignalBus(KafkaSignalOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    for (Topic topic : Topic.values()) {
      topicNames.put(topic, options.topicName(topic));
    }
    for (SignalType type : SignalType.values()) {
      newest.put(type, new AtomicLong(Long.MIN_VALUE));
    }
    this.producer =
        new KafkaProducer<>(
            producerConfig(options), new StringSerializer(), new ByteArraySerializer());
    Thread.ofVirtual().name("signals-kafka-metadata-" + options.clientId()).start(this::warmUp);
  }

  @Override
  public void publish(SignalEvent event) {
    Objects.requireNonNull(event, "event");
    if (closed || !gate.tryPass()) {
      dropped.increment();
      return;
    }
    try {
      var record =
          new ProducerRecord<>(topicNames.get(event.topic()), event.key(), codec.encode(event));
      // a signal of a request (its routing decision, its usage) joins the request's trace; the
      // periodic load and KV reports run outside any span and carry no header
      TRACE_CONTEXT.inject(
          Context.current(),
          record.headers(),
          (headers, key, value) -> headers.add(key, value.getBytes(StandardCharsets.US_ASCII)));
      producer.send(record, this::onSendCompleted);
    } catch (RuntimeException e) {
      // send() reports its own timeouts to the callback; what lands here is a closed producer, an
      // interrupt or a bug. None may reach a request thread.
      dropped.increment();
      LOG.log(WARNING, "could not hand a " + event.topic() + " signal to Kafka", e);
    }
  }

  @Override
  public <E extends SignalEvent> AutoCloseable subscribe(
      Class<E> type, Consumer<? super E> subscriber) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(subscriber, "subscriber");
    Set<String> topics = new HashSet<>();
    for (Topic topic : SignalType.topicsOf(type)) {
      topics.add(topicNames.get(topic));
    }
    Subscription<E> subscription = new Subscription<>(type, subscriber, Set.copyOf(topics));
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the Kafka signal bus is closed");
      }
      subscriptions.add(subscription);
      if (poller == null) {
        poller =
            new SignalPoller(
                consumerConfig(options),
                this::wantedTopics,
                this::deliver,
                options.pollTimeout(),
                "signals-kafka-" + options.clientId());
      }
      poller.topicsChanged();
    }
    return () -> unsubscribe(subscription);
  }

  /**
   * Reads the subscription's topics from {@code history} ago on a consumer of its own (outside the
   * group, see {@link HistoryPoller}), then follows them; the other subscribers are not affected.
   * {@link #awaitHistory} tells when the retained events have all been delivered.
   */
  @Override
  public <E extends SignalEvent> AutoCloseable subscribeWithHistory(
      Class<E> type, Duration history, Consumer<? super E> subscriber) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(subscriber, "subscriber");
    if (history.isNegative()) {
      throw new IllegalArgumentException("history must be >= 0, was " + history);
    }
    Set<String> topics = new HashSet<>();
    for (Topic topic : SignalType.topicsOf(type)) {
      topics.add(topicNames.get(topic));
    }
    List<Subscription<?>> only = List.of(new Subscription<>(type, subscriber, Set.copyOf(topics)));
    HistoryPoller replay;
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the Kafka signal bus is closed");
      }
      replay =
          new HistoryPoller(
              consumerConfig(options),
              topics,
              history,
              record -> deliver(record, only),
              options.pollTimeout(),
              "signals-kafka-history-" + options.clientId());
      historyPollers.add(replay);
    }
    return () -> {
      historyPollers.remove(replay);
      replay.close();
    };
  }

  /**
   * Waits until every {@link #subscribeWithHistory} subscription has delivered the events retained
   * from its window. For readiness checks and tests; true at once when there is none.
   */
  public boolean awaitHistory(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (HistoryPoller history : historyPollers) {
      if (!history.awaitCaughtUp(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until the consumer owns its partitions of every topic subscribed so far, with start
   * offsets fixed: events published after this returns true reach the subscribers. For readiness
   * checks and tests. True at once when nothing is subscribed.
   */
  public boolean awaitAssignment(Duration timeout) throws InterruptedException {
    SignalPoller current;
    synchronized (lifecycle) {
      current = poller;
    }
    return current == null || current.awaitAssignment(timeout);
  }

  /**
   * Waits until the producer knows every signal topic's partitions, so that a publish does not
   * spend {@link KafkaSignalOptions#maxBlock()} on metadata and drop: for a publisher whose first
   * signals matter (a replica's announcement), before it starts. False when the broker did not
   * answer in time (the bus keeps trying in the background for a while).
   */
  public boolean awaitMetadata(Duration timeout) throws InterruptedException {
    return metadata.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Events the broker acknowledged. */
  public long publishedCount() {
    return published.sum();
  }

  /** Events lost on the way out: broker down or slow, buffer full, gate closed or bus closed. */
  public long droppedCount() {
    return dropped.sum();
  }

  /** Consumed events decoded and handed to the subscribers. */
  public long deliveredCount() {
    return delivered.sum();
  }

  /** Consumed records skipped because they were not a signal this build can read. */
  public long undecodableCount() {
    return undecodable.sum();
  }

  /**
   * The producer's timestamp (epoch ms) of the newest {@code type} signal consumed, or {@link
   * Long#MIN_VALUE} before the first: now minus it is how stale this consumer's view of that signal
   * is (consumer lag, in time).
   */
  public long newestConsumedMillis(SignalType type) {
    return newest.get(type).get();
  }

  /** Subscriber calls that threw. */
  public long subscriberFailureCount() {
    return subscriberFailures.sum();
  }

  /**
   * Stops consuming and flushes what is still being sent, each bounded by a couple of seconds, so
   * shutdown stays quick even with the broker gone; what cannot be sent in time is dropped.
   */
  @Override
  public void close() {
    SignalPoller current;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      current = poller;
    }
    // The consumer leaves its group on its own thread while this one flushes the producer.
    if (current != null) {
      current.beginClose();
    }
    for (HistoryPoller history : historyPollers) {
      history.close();
    }
    try {
      producer.close(PRODUCER_CLOSE_TIMEOUT);
    } catch (RuntimeException e) {
      LOG.log(WARNING, "signal producer did not close cleanly", e);
    }
    if (current != null) {
      current.awaitClosed();
    }
  }

  /**
   * Fetches every topic's metadata off the request path, so the first publishes find it cached
   * instead of waiting for it, and a slow first contact (say, the broker creating the topics) does
   * not drop them and close the gate on a healthy broker. Timeouts here never touch the gate.
   */
  private void warmUp() {
    long deadline = System.nanoTime() + METADATA_WARM_UP.toNanos();
    for (String topic : topicNames.values()) {
      boolean known = false;
      while (!known && !closed && System.nanoTime() < deadline) {
        try {
          producer.partitionsFor(topic);
          known = true;
        } catch (TimeoutException e) {
          // The broker is slow or away; ask again until the deadline.
        } catch (RuntimeException e) {
          return; // closed under us, or not authorised: publish will count what follows
        }
      }
      if (!known) {
        return;
      }
    }
    metadata.countDown();
  }

  private void onSendCompleted(RecordMetadata metadata, Exception failure) {
    if (failure == null) {
      published.increment();
      if (gate.onSuccess()) {
        LOG.log(INFO, "Kafka answers again; publishing signals");
      }
      return;
    }
    dropped.increment();
    if (failure instanceof TimeoutException && gate.onTimeout()) {
      LOG.log(
          WARNING,
          "Kafka at "
              + options.bootstrapServers()
              + " did not answer in time ("
              + failure.getMessage()
              + "); dropping signals, probing every "
              + OUTAGE_BACKOFF.toMillis()
              + " ms");
    }
  }

  private void unsubscribe(Subscription<?> subscription) {
    synchronized (lifecycle) {
      if (subscriptions.remove(subscription) && poller != null && !closed) {
        poller.topicsChanged();
      }
    }
  }

  private Set<String> wantedTopics() {
    Set<String> topics = new HashSet<>();
    for (Subscription<?> subscription : subscriptions) {
      topics.addAll(subscription.topics());
    }
    return topics;
  }

  /** Runs on the poll thread; must not throw, as that would lose the rest of the batch. */
  private void deliver(ConsumerRecord<String, byte[]> record) {
    deliver(record, subscriptions);
  }

  private void deliver(ConsumerRecord<String, byte[]> record, List<Subscription<?>> targets) {
    SignalEvent event;
    try {
      event = codec.decode(record.value());
    } catch (SignalDecodeException e) {
      undecodable.increment();
      logSometimes(
          undecodable,
          "skipped an undecodable record at "
              + record.topic()
              + "-"
              + record.partition()
              + "@"
              + record.offset()
              + ": "
              + e.getMessage(),
          null);
      return;
    }
    newest.get(SignalType.of(event)).accumulateAndGet(record.timestamp(), Math::max);
    for (Subscription<?> subscription : targets) {
      try {
        subscription.offer(event);
      } catch (RuntimeException e) {
        subscriberFailures.increment();
        logSometimes(subscriberFailures, "a subscriber to " + event.topic() + " failed", e);
      }
    }
    delivered.increment();
  }

  /** Logs the 1st, 2nd, 4th, 8th... occurrence, so a flood stays visible without filling disks. */
  private static void logSometimes(LongAdder count, String message, Throwable cause) {
    long n = count.sum();
    if (Long.bitCount(n) == 1) {
      LOG.log(WARNING, message + " (" + n + " so far)", cause);
    }
  }

  private static Map<String, Object> producerConfig(KafkaSignalOptions options) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, options.clientId());
    // Idempotence (which needs acks=all) keeps one key's events in order across retries.
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, options.maxBlock().toMillis());
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, options.bufferBytes());
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
    return config;
  }

  private static Map<String, Object> consumerConfig(KafkaSignalOptions options) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, options.clientId());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    // A new group starts at the end: old load reports would only mislead a fresh replica.
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    return config;
  }
}
