package dev.coemesh.gateway.routing;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.Router;
import dev.coemesh.router.classify.MiniLmEmbedder;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The CoE router in process: the routing config (file, resource or the shipped default), the MiniLM
 * prompt embedder, the classifier trained on the config's examples at start-up, replica state from
 * the in-process signal bus, decisions published back to it. A config file is watched: categories,
 * examples, routes, thresholds and scorer weights reload live; a change to the experts is refused
 * (they are started once, see {@code EmbeddedMesh}) and the old config stays in force.
 */
@Singleton
public class RoutingWiring {
  private static final Logger LOG = Logger.getLogger(RoutingWiring.class);

  private ConfigWatcher<RoutingConfig> watcher;

  @Produces
  @Singleton
  MiniLmEmbedder embedder(RoutingSettings settings) {
    return new MiniLmEmbedder(settings.embedderThreads(), MiniLmEmbedder.DEFAULT_MAX_CHARS);
  }

  void closeEmbedder(@Disposes MiniLmEmbedder embedder) {
    embedder.close();
  }

  @Produces
  @Singleton
  Router router(
      RoutingSettings settings,
      MiniLmEmbedder embedder,
      SignalBus signals,
      OpenTelemetry openTelemetry) {
    RoutingConfig config = RoutingConfigLoader.load(settings.config().orElse(null));
    Router router =
        Router.builder(config, embedder)
            .signalBus(signals)
            .openTelemetry(openTelemetry)
            .replicaExpiry(settings.replicaExpiry())
            .buildSubscribed();
    LOG.infof("routing: %s", router.summary());
    return router;
  }

  void closeRouter(@Disposes Router router) {
    if (watcher != null) {
      watcher.close();
    }
    router.close();
  }

  /** Starts watching a config file once the router exists. */
  void watch(@Observes StartupEvent started, RoutingSettings settings, Router router) {
    Optional<Path> file = RoutingConfigLoader.watchable(settings.config().orElse(null));
    if (file.isEmpty()) {
      return;
    }
    watcher =
        new ConfigWatcher<>(
            "routing config",
            file.get(),
            settings.reloadInterval(),
            RoutingConfigLoader::load,
            next -> {
              requireSameExperts(router.config(), next);
              router.reload(next);
              LOG.infof("routing config %s reloaded", file.get());
            });
  }

  /** Experts are started once; a reload may change everything else. */
  static void requireSameExperts(RoutingConfig current, RoutingConfig next) {
    if (!current.experts().equals(next.experts())) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID,
          "the experts changed; restart the mesh to start or stop experts (categories, routes,"
              + " thresholds and scorer weights reload live)");
    }
  }
}
