package dev.coemesh.gateway.trace;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The mesh's own tracing switches ({@code mesh.tracing.*}). Whether spans are made, sampled and
 * exported is the standard {@code quarkus.otel.*} configuration (observability/TRACING.md).
 */
@ConfigMapping(prefix = "mesh.tracing")
public interface TracingConfig {

  /**
   * Whether request spans carry the rendered prompt ({@code coemesh.prompt}). Prompts are user
   * data: off unless the operator opts in, for debugging.
   */
  @WithDefault("false")
  boolean capturePrompts();
}
