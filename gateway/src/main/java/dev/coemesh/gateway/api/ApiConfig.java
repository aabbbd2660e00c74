package dev.coemesh.gateway.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** REST API settings ({@code mesh.api.*}). */
@ConfigMapping(prefix = "mesh.api")
public interface ApiConfig {

  /** Largest request body in bytes; larger ones are refused with 413 before they are read. */
  @WithDefault("1048576")
  int maxBodyBytes();
}
