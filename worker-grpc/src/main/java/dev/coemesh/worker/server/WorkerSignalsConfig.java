package dev.coemesh.worker.server;

import dev.coemesh.signals.kafka.KafkaSignalOptions;
import java.util.Optional;

/**
 * Where a worker service publishes its announcement and KV events ({@code mesh.signals.*}, the
 * router service's keys): each app declares {@code @ConfigMapping(prefix = "mesh.signals")} on an
 * interface extending this one. Without a bootstrap the worker publishes nothing.
 */
public interface WorkerSignalsConfig {
  Kafka kafka();

  interface Kafka {
    /** e.g. {@code kafka-0.kafka:9092}; absent: no signals. */
    Optional<String> bootstrapServers();

    /** Names the producer in broker logs; default {@code coemesh-worker-<instance>}. */
    Optional<String> clientId();

    /** Prepended to the topic names ({@code mesh.load}, {@code mesh.kv-events}). */
    Optional<String> topicPrefix();
  }

  /** The bus options for the worker {@code instance}; empty without a bootstrap. */
  default Optional<KafkaSignalOptions> kafkaOptions(String instance) {
    return kafka()
        .bootstrapServers()
        .map(
            servers ->
                KafkaSignalOptions.of(
                        servers,
                        kafka().clientId().orElse(WorkerAnnouncer.defaultClientId(instance)))
                    .withTopicPrefix(kafka().topicPrefix().orElse("")));
  }
}
