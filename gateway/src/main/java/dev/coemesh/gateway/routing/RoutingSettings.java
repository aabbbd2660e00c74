package dev.coemesh.gateway.routing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the routing config comes from ({@code mesh.routing.*}). It names the categories, the
 * experts (embedded model files or OpenAI-compatible upstreams) and the routes between them; the
 * gateway starts exactly the experts it lists.
 *
 * <pre>
 * mesh.routing.config=/etc/coemesh/routing.yaml   # a file: hot-reloaded
 * mesh.routing.config=classpath:routing/x.yaml     # a resource: loaded once
 * # absent: the shipped default (router/src/main/resources/routing/default-routing.yaml)
 * </pre>
 */
@ConfigMapping(prefix = "mesh.routing")
public interface RoutingSettings {
  /** A file path, or {@code classpath:NAME}; the shipped default config when absent. */
  Optional<String> config();

  /** How often a routing config file is checked for changes. */
  @WithDefault("2s")
  Duration reloadInterval();

  /**
   * A replica not heard from for this long (while others are) is forgotten with its cache; its load
   * reports come every 500 ms.
   */
  @WithDefault("10s")
  Duration replicaExpiry();

  /** Threads of one prompt embedding (ONNX intra-op); 1 keeps decisions off the other cores. */
  @WithDefault("1")
  int embedderThreads();
}
