package dev.coemesh.testkit.quarkus;

import dev.coemesh.testkit.KafkaBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real in-process KRaft broker for a {@code @QuarkusTest}; sets {@code kafka.bootstrap.servers}.
 */
public final class KafkaTestResource implements QuarkusTestResourceLifecycleManager {
  private KafkaBroker broker;

  @Override
  public Map<String, String> start() {
    broker = KafkaBroker.startNew();
    return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
  }

  @Override
  public void stop() {
    if (broker != null) {
      broker.close();
    }
  }
}
