package dev.coemesh.signals.kafka;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToLongFunction;

/**
 * The health of the mesh's signals over Kafka, as meters (the catalogue is
 * observability/METRICS.md), for every app whose signal bus is a {@link KafkaSignalBus}:
 *
 * <ul>
 *   <li>{@code mesh.signals.age{type}} (seconds): now minus the producer timestamp of the newest
 *       signal of that type this app consumed, its consumer lag in time; NaN before the first
 *   <li>{@code mesh.signals.dropped{reason}}: signals lost, by {@code reason}: {@code publish} (not
 *       sent: broker down or slow, buffer full), {@code undecodable} (a consumed record this build
 *       cannot read), {@code subscriber_failed} (a subscriber threw on it)
 *   <li>{@code mesh.signals.published} and {@code mesh.signals.delivered}: signals the broker
 *       acknowledged, and signals consumed and handed to subscribers
 * </ul>
 */
public final class KafkaSignalMeters implements MeterBinder {
  private final KafkaSignalBus bus;

  public KafkaSignalMeters(KafkaSignalBus bus) {
    this.bus = bus;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (SignalType type : SignalType.values()) {
      Gauge.builder("mesh.signals.age", bus, k -> age(k.newestConsumedMillis(type)))
          .description("now minus the producer timestamp of the newest signal consumed")
          .baseUnit("seconds")
          .tag("type", type.wireName())
          .register(registry);
    }
    dropped(registry, "publish", KafkaSignalBus::droppedCount);
    dropped(registry, "undecodable", KafkaSignalBus::undecodableCount);
    dropped(registry, "subscriber_failed", KafkaSignalBus::subscriberFailureCount);
    FunctionCounter.builder("mesh.signals.published", bus, KafkaSignalBus::publishedCount)
        .description("signals the broker acknowledged")
        .register(registry);
    FunctionCounter.builder("mesh.signals.delivered", bus, KafkaSignalBus::deliveredCount)
        .description("signals consumed and handed to the subscribers")
        .register(registry);
  }

  private void dropped(MeterRegistry registry, String reason, ToLongFunction<KafkaSignalBus> n) {
    FunctionCounter.builder("mesh.signals.dropped", bus, n::applyAsLong)
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
