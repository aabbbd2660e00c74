package dev.coemesh.signals.kafka;

import dev.coemesh.core.signal.SignalEvent.Topic;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How a {@link KafkaSignalBus} reaches Kafka.
 *
 * @param bootstrapServers comma-separated {@code host:port} list
 * @param clientId names this process's producer and consumer in broker logs and metrics
 * @param groupId the consumer group. Give every process its own (e.g. its client id) when each must
 *     see every signal, as gateways and routers do; processes sharing a group id split the
 *     partitions between them instead
 * @param topicPrefix prepended to every topic name; empty gives exactly {@code mesh.load}, ...
 * @param pollTimeout the longest one consumer poll waits for records
 * @param maxBlock the longest {@code publish} may block, waiting for topic metadata or for room in
 *     the send buffer, before it drops the event
 * @param bufferBytes the producer's send buffer; when it is full (broker slow or gone) events are
 *     dropped after {@code maxBlock}
 */
public record KafkaSignalOptions(
    String bootstrapServers,
    String clientId,
    String groupId,
    String topicPrefix,
    Duration pollTimeout,
    Duration maxBlock,
    long bufferBytes) {

  public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(200);
  public static final Duration DEFAULT_MAX_BLOCK = Duration.ofMillis(100);
  public static final long DEFAULT_BUFFER_BYTES = 4L << 20;

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^\\s:,\\[\\]]+):(\\d{1,5})");
  private static final Pattern TOPIC_CHARS = Pattern.compile("[A-Za-z0-9._-]*");
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  // Kafka's limit on topic names.
  private static final int MAX_TOPIC_LENGTH = 249;
  // A 1 KiB buffer cannot hold one batch of signals; the producer would drop nearly everything.
  private static final long MIN_BUFFER_BYTES = 64 << 10;

  public KafkaSignalOptions {
    bootstrapServers = requireBootstrapServers(bootstrapServers);
    require(
        clientId != null && CLIENT_ID.matcher(clientId).matches(),
        "clientId must be 1-200 characters of [A-Za-z0-9._-]",
        clientId);
    require(groupId != null && !groupId.isBlank(), "groupId must not be blank", groupId);
    require(
        topicPrefix != null && TOPIC_CHARS.matcher(topicPrefix).matches(),
        "topicPrefix may only contain [A-Za-z0-9._-] (use \"\" for no prefix)",
        topicPrefix);
    int longestTopic = 0;
    for (Topic topic : Topic.values()) {
      longestTopic = Math.max(longestTopic, topic.topicName().length());
    }
    require(
        topicPrefix.length() + longestTopic <= MAX_TOPIC_LENGTH,
        "topicPrefix makes topic names longer than Kafka's " + MAX_TOPIC_LENGTH + " characters",
        topicPrefix);
    require(
        pollTimeout != null && pollTimeout.isPositive(),
        "pollTimeout must be positive",
        pollTimeout);
    require(
        maxBlock != null && maxBlock.toMillis() >= 1,
        "maxBlock must be at least 1ms (the first publish to a topic waits for its metadata)",
        maxBlock);
    require(
        bufferBytes >= MIN_BUFFER_BYTES && bufferBytes <= Integer.MAX_VALUE,
        "bufferBytes must be between " + MIN_BUFFER_BYTES + " and " + Integer.MAX_VALUE,
        bufferBytes);
  }

  /** Defaults for everything but the address and the name; the group id is the client id. */
  public static KafkaSignalOptions of(String bootstrapServers, String clientId) {
    return new KafkaSignalOptions(
        bootstrapServers,
        clientId,
        clientId,
        "",
        DEFAULT_POLL_TIMEOUT,
        DEFAULT_MAX_BLOCK,
        DEFAULT_BUFFER_BYTES);
  }

  public KafkaSignalOptions withGroupId(String groupId) {
    return new KafkaSignalOptions(
        bootstrapServers, clientId, groupId, topicPrefix, pollTimeout, maxBlock, bufferBytes);
  }

  public KafkaSignalOptions withTopicPrefix(String topicPrefix) {
    return new KafkaSignalOptions(
        bootstrapServers, clientId, groupId, topicPrefix, pollTimeout, maxBlock, bufferBytes);
  }

  public KafkaSignalOptions withMaxBlock(Duration maxBlock) {
    return new KafkaSignalOptions(
        bootstrapServers, clientId, groupId, topicPrefix, pollTimeout, maxBlock, bufferBytes);
  }

  /** The Kafka topic that carries {@code topic}'s signals. */
  public String topicName(Topic topic) {
    return topicPrefix + topic.topicName();
  }

  private static String requireBootstrapServers(String value) {
    require(value != null && !value.isBlank(), "bootstrapServers must not be blank", value);
    String trimmed = value.replaceAll("\\s", "");
    for (String server : trimmed.split(",", -1)) {
      var match = HOST_PORT.matcher(server);
      int port = match.matches() ? Integer.parseInt(match.group(2)) : 0;
      require(
          port >= 1 && port <= 65_535,
          "bootstrapServers must be a comma-separated list of host:port with port 1-65535",
          value);
    }
    return trimmed;
  }

  private static void require(boolean valid, String rule, Object actual) {
    if (!valid) {
      throw new IllegalArgumentException(
          "invalid Kafka signal options: " + rule + ", but was '" + actual + "'");
    }
  }
}
