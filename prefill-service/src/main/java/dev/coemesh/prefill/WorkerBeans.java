package dev.coemesh.prefill;

import dev.coemesh.worker.auth.MeshCredentialInterceptor;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRole;
import dev.coemesh.worker.server.WorkerRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The prefill worker's engine and store client, built once from config and closed at shutdown, and
 * the guard that admits only holders of the mesh credential to its gRPC services.
 */
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
  WorkerMetrics metrics(
      MeterRegistry registry, WorkerRuntime runtime, PrefillServiceConfig config) {
    return new WorkerMetrics(registry, runtime, config.expert());
  }

  /** On every gRPC service of this app; the app does not start without a usable credential. */
  @Produces
  @Singleton
  @GlobalInterceptor
  MeshCredentialInterceptor credentialCheck(PrefillServiceConfig config) {
    return new MeshCredentialInterceptor(config.credential());
  }
}
