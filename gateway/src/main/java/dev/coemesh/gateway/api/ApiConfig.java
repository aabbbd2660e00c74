package dev.coemesh.gateway.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * REST API settings ({@code mesh.api.*}). The HTTP codec's own limits ({@code
 * quarkus.http.limits.*}) are set above these, so that a request over one of these limits gets an
 * OpenAI-shaped error from the gateway rather than the codec's empty answer.
 */
@ConfigMapping(prefix = "mesh.api")
public interface ApiConfig {

  /** Largest request body in bytes; larger ones are refused with 413 before they are read. */
  @WithDefault("1048576")
  int maxBodyBytes();

  /** Largest sum of header names and values in bytes; more is refused with 431. */
  @WithDefault("16384")
  int maxHeaderBytes();

  /** Longest request URI in characters; longer is refused with 414. */
  @WithDefault("2048")
  int maxUriChars();
}
