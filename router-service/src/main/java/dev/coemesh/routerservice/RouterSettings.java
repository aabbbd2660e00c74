package dev.coemesh.routerservice;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The router service's settings ({@code mesh.router.*}).
 *
 * <pre>
 * mesh.router.config=/etc/coemesh/routing.yaml   # a file (hot-reloaded) or classpath:NAME
 * </pre>
 */
@ConfigMapping(prefix = "mesh.router")
public interface RouterSettings {
  /** The routing config: a file path (watched), {@code classpath:NAME}; the shipped default. */
  Optional<String> config();

  /** How often a routing config file is checked for changes. */
  @WithDefault("2s")
  Duration reloadInterval();

  /** Threads of one prompt embedding (ONNX intra-op). */
  @WithDefault("1")
  int embedderThreads();

  /** A replica not heard from (mesh.load / mesh.kv-events) for this long is forgotten. */
  @WithDefault("10s")
  Duration replicaExpiry();
}
