package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.trace.TracingConfig;
import dev.coemesh.router.Router;
import dev.coemesh.worker.trace.WorkerTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring of the request lifecycle from its configuration and the serving side's beans. */
@Singleton
public class OrchestrationWiring {

  @Produces
  @Singleton
  ExpertResolver resolver(ExpertDirectory experts, Router router) {
    return new ExpertResolver(experts, router);
  }

  /**
   * VTC fair admission, local counters (one gateway replica), capacity from each expert's own
   * snapshot (batch slots, KV pool).
   */
  @Produces
  @Singleton
  VtcScheduler fairScheduler(ExpertDirectory experts, FairConfig config) {
    VtcOptions options;
    try {
      options =
          new VtcOptions(
              config.inputWeight(),
              config.outputWeight(),
              config.liftRule(),
              config.interactiveReserve().orElse(VtcOptions.AUTO_RESERVE));
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, "mesh.fair: " + e.getMessage(), e);
    }
    return new VtcScheduler(
        options,
        new BackendCapacity(
            expert -> {
              ExpertPool pool = experts.get(expert);
              return pool == null ? null : pool.capacity();
            }));
  }

  void closeFairScheduler(@Disposes VtcScheduler scheduler) {
    scheduler.close();
  }

  @Produces
  @Singleton
  TokenRateLimiter rateLimiter() {
    return new TokenRateLimiter();
  }

  @Produces
  @Singleton
  RequestMetrics requestMetrics(MeterRegistry registry) {
    return new RequestMetrics(registry);
  }

  @Produces
  @Singleton
  RequestOrchestrator orchestrator(
      ExpertResolver resolver,
      VtcScheduler fair,
      TokenRateLimiter rateLimiter,
      RequestMetrics metrics,
      RequestObserver observer,
      OrchestrationConfig config,
      OpenTelemetry openTelemetry,
      TracingConfig tracing) {
    return new RequestOrchestrator(
        resolver,
        fair,
        rateLimiter,
        metrics,
        observer,
        config.defaultMaxTokens(),
        config.requestTimeout(),
        openTelemetry.getTracer(WorkerTracing.SCOPE),
        tracing.capturePrompts());
  }
}
