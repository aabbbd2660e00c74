package dev.coemesh.prefill;

import dev.coemesh.signals.kafka.SignalSettings;
import dev.coemesh.worker.server.WorkerAnnouncer;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRole;
import dev.coemesh.worker.server.WorkerRuntime;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Announces this prefill replica to the mesh's routers (load, endpoint, KV-block events) when
 * {@code mesh.signals.kafka.bootstrap-servers} is set; its endpoint is {@code
 * mesh.worker.advertise-host} and this app's gRPC port.
 */
@Singleton
class Announcement {
  private WorkerAnnouncer announcer; // null without Kafka

  void start(
      @Observes StartupEvent event,
      PrefillServiceConfig worker,
      SignalSettings signals,
      WorkerRuntime runtime,
      WorkerMetrics metrics) {
    announcer =
        WorkerAnnouncer.fromConfig(
                worker,
                signals,
                WorkerRole.PREFILL,
                WorkerAnnouncer.quarkusGrpcPort(),
                runtime,
                metrics)
            .orElse(null);
  }

  void stop(@Observes ShutdownEvent event) {
    if (announcer != null) {
      announcer.close();
    }
  }
}
