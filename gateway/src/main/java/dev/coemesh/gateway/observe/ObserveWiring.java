package dev.coemesh.gateway.observe;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.signals.kafka.SignalSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** CDI wiring of the live views the orchestrator feeds. */
@Singleton
public class ObserveWiring {
  /** Decisions the status page shows; a screenful, and a fixed bound on memory. */
  static final int RECENT_DECISIONS = 50;

  private volatile SloPublisher publisher;

  @Produces
  @Singleton
  SloTracker sloTracker(SloConfig config, ExpertDirectory experts, MeterRegistry registry) {
    Set<ExpertId> served = new HashSet<>();
    experts.all().forEach(pool -> served.add(pool.expert()));
    SloTargets targets = SloTargets.from(config, served);
    SloTracker tracker;
    try {
      tracker = new SloTracker(targets, config.window(), registry, System::currentTimeMillis);
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, "mesh.slo.window: " + e.getMessage(), e);
    }
    for (ExpertPool pool : experts.all()) {
      tracker.track(pool.expert());
    }
    return tracker;
  }

  /**
   * Each expert's attainment on {@code mesh.slo} for the planner, when signals travel over Kafka
   * (in one process nothing plans replicas).
   */
  void publishSlo(
      @Observes StartupEvent started,
      SloConfig config,
      SignalSettings signals,
      SignalBus bus,
      SloTracker tracker,
      ExpertDirectory experts) {
    if (signals.kafka().bootstrapServers().isEmpty()) {
      return;
    }
    List<ExpertId> served = experts.all().stream().map(ExpertPool::expert).distinct().toList();
    try {
      publisher =
          new SloPublisher(
              tracker, bus, served, config.publishInterval(), System::currentTimeMillis);
    } catch (IllegalArgumentException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, "mesh.slo.publish-interval: " + e.getMessage(), e);
    }
  }

  void stopSlo(@Observes ShutdownEvent stopping) {
    if (publisher != null) {
      publisher.close();
    }
  }

  @Produces
  @Singleton
  RecentDecisions recentDecisions() {
    return new RecentDecisions(RECENT_DECISIONS, System::currentTimeMillis);
  }

  @Produces
  @Singleton
  TenantUsage tenantUsage() {
    return new TenantUsage();
  }

  @Produces
  @Singleton
  RequestObserver requestObserver(SloTracker slo, RecentDecisions decisions, TenantUsage usage) {
    return new LiveObservations(slo, decisions, usage);
  }
}
