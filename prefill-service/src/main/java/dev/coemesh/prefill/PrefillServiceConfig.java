package dev.coemesh.prefill;

import dev.coemesh.worker.server.WorkerConfig;
import io.smallrye.config.ConfigMapping;

/** This service's {@code mesh.worker.*} keys (documented on {@link WorkerConfig}). */
@ConfigMapping(prefix = "mesh.worker")
public interface PrefillServiceConfig extends WorkerConfig {}
