package dev.coemesh.gateway.embedded;

import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.SignalType;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.util.function.ToLongFunction;

/**
 * The health of the mesh's signals when they go over Kafka (none in process), in {@code
 * /q/metrics}:
 *
 * <ul>
 *   <li>{@code mesh.signals.age{type}} (seconds): now minus the producer timestamp of the newest
 *       signal of that type this gateway consumed, its consumer lag in time; NaN before the first
 *   <li>{@code mesh.signals.dropped{reason}}: signals lost, by {@code reason}: {@code publish} (not
 *       sent: broker down or slow, buffer full), {@code undecodable} (a consumed record this build
 *       cannot read), {@code subscriber_failed} (a subscriber threw on it)
 *   <li>{@code mesh.signals.published} and {@code mesh.signals.delivered}: signals the broker
 *       acknowledged, and signals consumed and handed to subscribers
 * </ul>
 */
@Startup
@Singleton
public class SignalMeters {

  public SignalMeters(SignalBus bus, MeterRegistry registry) {
    if (!(bus instanceof KafkaSignalBus kafka)) {
      return;
    }
    for (SignalType type : SignalType.values()) {
      Gauge.builder("mesh.signals.age", kafka, k -> age(k.newestConsumedMillis(type)))
          .description("now minus the producer timestamp of the newest signal consumed")
          .baseUnit("seconds")
          .tag("type", type.wireName())
          .register(registry);
    }
    dropped(registry, kafka, "publish", KafkaSignalBus::droppedCount);
    dropped(registry, kafka, "undecodable", KafkaSignalBus::undecodableCount);
    dropped(registry, kafka, "subscriber_failed", KafkaSignalBus::subscriberFailureCount);
    FunctionCounter.builder("mesh.signals.published", kafka, KafkaSignalBus::publishedCount)
        .description("signals the broker acknowledged")
        .register(registry);
    FunctionCounter.builder("mesh.signals.delivered", kafka, KafkaSignalBus::deliveredCount)
        .description("signals consumed and handed to the subscribers")
        .register(registry);
  }

  private static void dropped(
      MeterRegistry registry,
      KafkaSignalBus kafka,
      String reason,
      ToLongFunction<KafkaSignalBus> count) {
    FunctionCounter.builder("mesh.signals.dropped", kafka, count::applyAsLong)
        .description("signals lost on the way out or skipped on the way in")
        .tag("reason", reason)
        .register(registry);
  }

  private static double age(long newestMillis) {
    return newestMillis == Long.MIN_VALUE
        ? Double.NaN
        : Math.max(0, System.currentTimeMillis() - newestMillis) / 1000.0;
  }
}
