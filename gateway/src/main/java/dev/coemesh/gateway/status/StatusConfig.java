package dev.coemesh.gateway.status;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The on-call status page ({@code mesh.status.*}). It is served without an API key, like {@code
 * /q/metrics} and {@code /q/health}: it shows names from the config, counts and timings, never a
 * prompt, a key or a request id. Turn it off where the HTTP port is reachable by people who should
 * not see tenant names and load.
 */
@ConfigMapping(prefix = "mesh.status")
public interface StatusConfig {

  /** Serve {@code GET /mesh/v1/status} and the page at {@code /ui}. */
  @WithDefault("true")
  boolean enabled();
}
