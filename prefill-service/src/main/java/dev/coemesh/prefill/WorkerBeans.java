package dev.coemesh.prefill;

import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRole;
import dev.coemesh.worker.server.WorkerRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The prefill worker's engine and store client, built once from config and closed at shutdown. */
final class WorkerBeans {
  @Produces
  @Singleton
  WorkerRuntime runtime(PrefillServiceConfig config) {
    return WorkerRuntime.start(config.settings(WorkerRole.PREFILL));
  }

  void close(@Disposes WorkerRuntime runtime) {
    runtime.close();
  }

  @Produces
  @Singleton
  WorkerMetrics metrics(MeterRegistry registry, WorkerRuntime runtime) {
    return new WorkerMetrics(registry, runtime.batcher());
  }
}
