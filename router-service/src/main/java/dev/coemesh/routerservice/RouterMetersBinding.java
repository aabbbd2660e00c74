package dev.coemesh.routerservice;

import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.Router;
import dev.coemesh.router.RouterMeters;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Binds the router's replica and breaker meters, and the signal meters when signals go over Kafka,
 * to the app's registry at start-up.
 */
@Startup
@Singleton
public class RouterMetersBinding {

  public RouterMetersBinding(Router router, SignalBus signals, MeterRegistry registry) {
    new RouterMeters(router).bindTo(registry);
    if (signals instanceof KafkaSignalBus kafka) {
      new KafkaSignalMeters(kafka).bindTo(registry);
    }
  }
}
