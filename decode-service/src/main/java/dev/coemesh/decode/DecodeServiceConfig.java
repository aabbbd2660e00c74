package dev.coemesh.decode;

import dev.coemesh.worker.server.WorkerConfig;
import io.smallrye.config.ConfigMapping;

/** This service's {@code mesh.worker.*} keys (documented on {@link WorkerConfig}). */
@ConfigMapping(prefix = "mesh.worker")
public interface DecodeServiceConfig extends WorkerConfig {}
