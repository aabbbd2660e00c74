package dev.coemesh.routerservice;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.Router;
import dev.coemesh.router.classify.MiniLmEmbedder;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import dev.coemesh.signals.kafka.SignalSettings;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The router library as this service runs it: the routing config (hot-reloaded when it is a file),
 * the MiniLM embedder, the classifier trained at start-up, replica state from the signal bus and
 * decisions published back to it. The bus is in-process unless a deployment provides another {@link
 * SignalBus} bean (e.g. Kafka), so replica state arrives as {@code mesh.load} and {@code
 * mesh.kv-events} signals from wherever the replicas run.
 */
@Singleton
public class RouterWiring {
  private static final Logger LOG = Logger.getLogger(RouterWiring.class);

  /**
   * Kafka when {@code mesh.signals.kafka.bootstrap-servers} is set (replicas anywhere publish their
   * load and KV-block events there), otherwise an in-process bus.
   */
  @Produces
  @Singleton
  SignalBus signalBus(SignalSettings settings) {
    settings.kafka().bootstrapServers().ifPresent(s -> LOG.infof("signals over Kafka at %s", s));
    return settings.bus("coemesh-router");
  }

  void closeSignalBus(@Disposes SignalBus bus) {
    bus.close();
  }

  @Produces
  @Singleton
  MiniLmEmbedder embedder(RouterSettings settings) {
    return new MiniLmEmbedder(settings.embedderThreads(), MiniLmEmbedder.DEFAULT_MAX_CHARS);
  }

  void closeEmbedder(@Disposes MiniLmEmbedder embedder) {
    embedder.close();
  }

  @Produces
  @Singleton
  Router router(
      RouterSettings settings,
      MiniLmEmbedder embedder,
      SignalBus signals,
      OpenTelemetry openTelemetry) {
    String location = settings.config().orElse(null);
    RoutingConfig config = RoutingConfigLoader.load(location);
    Router router =
        Router.builder(config, embedder)
            .signalBus(signals)
            .openTelemetry(openTelemetry)
            .replicaExpiry(settings.replicaExpiry())
            .buildSubscribed();
    Optional<Path> file = RoutingConfigLoader.watchable(location);
    if (file.isPresent()) {
      ConfigWatcher<RoutingConfig> watcher = router.watch(file.get(), settings.reloadInterval());
      LOG.infof("routing config %s watched every %s", file.get(), settings.reloadInterval());
      if (watcher.lastError() != null) {
        LOG.warn(watcher.lastError());
      }
    }
    LOG.infof("router: %s", router.summary());
    return router;
  }

  void closeRouter(@Disposes Router router) {
    router.close(); // also stops the config watcher and the bus subscriptions
  }
}
