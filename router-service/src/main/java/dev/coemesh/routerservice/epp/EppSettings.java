package dev.coemesh.routerservice.epp;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/**
 * The endpoint picker's settings ({@code mesh.epp.*}). It is served on the router service's gRPC
 * server ({@code quarkus.grpc.server.port}; 9002 by the Inference Extension's convention in a
 * cluster).
 */
@ConfigMapping(prefix = "mesh.epp")
public interface EppSettings {
  /**
   * The pool's HTTP port: a replica announces {@code host:grpcPort} on the signal bus, and the
   * picked endpoint is {@code host:targetPort}, where the worker serves the OpenAI API. The
   * InferencePool's {@code targetPorts} must name the same port.
   */
  @WithDefault("10201")
  int targetPort();

  /** The largest request body buffered for routing; a larger one is answered 413. */
  @WithDefault("2M")
  MemorySize maxBodySize();

  /**
   * A replica with this many requests waiting is saturated, as is one without free KV blocks for
   * the prompt (the router's capacity filter): a sheddable request finding every eligible replica
   * saturated is answered 429.
   */
  @WithDefault("16")
  int shedQueueDepth();

  /**
   * {@code InferenceObjective} priorities by objective name ({@code
   * x-gateway-inference-objective}), as the objectives declare them: below 0 is sheddable (batch).
   * An objective not listed has priority 0 (the Inference Extension's default).
   */
  Map<String, Integer> objectives();
}
