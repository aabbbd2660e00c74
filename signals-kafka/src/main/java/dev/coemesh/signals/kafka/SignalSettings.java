package dev.coemesh.signals.kafka;

import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.spi.SignalBus;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a process's signals travel ({@code mesh.signals.*}), the same keys in every app: Kafka when
 * {@code mesh.signals.kafka.bootstrap-servers} is set, else an in-process bus.
 *
 * <pre>
 * mesh.signals.kafka.bootstrap-servers=kafka-0.kafka:9092
 * mesh.signals.kafka.client-id=coemesh-gateway
 * </pre>
 */
@ConfigMapping(prefix = "mesh.signals")
public interface SignalSettings {
  Kafka kafka();

  /** Events the in-process bus buffers before dropping (when Kafka is not configured). */
  @WithDefault("4096")
  int inProcessCapacity();

  interface Kafka {
    /** e.g. {@code kafka-0.kafka:9092}; absent: signals stay in this process. */
    Optional<String> bootstrapServers();

    /** Names the process in broker logs; each app has its default. */
    Optional<String> clientId();

    /**
     * Consumer group. Every router (in a gateway or a router service) needs all replica state, so
     * each process consumes in a group of its own: absent means a group unique to this process.
     */
    Optional<String> groupId();

    /** Prepended to the topic names ({@code mesh.load}, {@code mesh.kv-events}, ...). */
    Optional<String> topicPrefix();
  }

  /**
   * The Kafka options these settings describe, empty without a bootstrap.
   *
   * @param defaultClientId the client id when none is configured
   */
  default Optional<KafkaSignalOptions> kafkaOptions(String defaultClientId) {
    Kafka k = kafka();
    String clientId = k.clientId().orElse(defaultClientId);
    return k.bootstrapServers()
        .map(
            servers ->
                KafkaSignalOptions.of(servers, clientId)
                    .withGroupId(k.groupId().orElse(clientId + "-" + UUID.randomUUID()))
                    .withTopicPrefix(k.topicPrefix().orElse("")));
  }

  /** The bus these settings describe (Kafka, else in process); the caller closes it. */
  default SignalBus bus(String defaultClientId) {
    return kafkaOptions(defaultClientId)
        .<SignalBus>map(KafkaSignalBus::new)
        .orElseGet(() -> new InProcessSignalBus(inProcessCapacity()));
  }
}
