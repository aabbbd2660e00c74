package dev.coemesh.prefill;

import dev.coemesh.worker.server.WorkerSignalsConfig;
import io.smallrye.config.ConfigMapping;

/** This service's {@code mesh.signals.*} keys (documented on {@link WorkerSignalsConfig}). */
@ConfigMapping(prefix = "mesh.signals")
public interface PrefillSignalsConfig extends WorkerSignalsConfig {}
