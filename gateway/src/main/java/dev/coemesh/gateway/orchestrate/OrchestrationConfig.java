package dev.coemesh.gateway.orchestrate;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Request lifecycle settings ({@code mesh.gateway.*}). */
@ConfigMapping(prefix = "mesh.gateway")
public interface OrchestrationConfig {

  /** Generated tokens when the client sets no limit (capped by what the context leaves). */
  @WithDefault("256")
  int defaultMaxTokens();

  /** From arrival until the engine cancels the request, queueing included. */
  @WithDefault("5m")
  Duration requestTimeout();
}
