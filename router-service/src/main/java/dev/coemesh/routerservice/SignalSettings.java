package dev.coemesh.routerservice;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Where the signals travel ({@code mesh.signals.*}): Kafka when configured, else in process. */
@ConfigMapping(prefix = "mesh.signals")
public interface SignalSettings {
  Kafka kafka();

  interface Kafka {
    /** e.g. {@code kafka-0.kafka:9092}; absent: signals stay in this process. */
    Optional<String> bootstrapServers();

    @WithDefault("coemesh-router")
    String clientId();

    /** Consumer group; every router replica needs all replica state, so use one group each. */
    @WithDefault("coemesh-router")
    String groupId();

    /** Prepended to the topic names ({@code mesh.load}, {@code mesh.kv-events}, ...). */
    Optional<String> topicPrefix();
  }
}
