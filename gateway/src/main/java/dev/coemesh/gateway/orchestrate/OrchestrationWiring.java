package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring of the request lifecycle from its configuration and the serving side's beans. */
@Singleton
public class OrchestrationWiring {

  @Produces
  @Singleton
  ExpertResolver resolver(ExpertDirectory experts, OrchestrationConfig config) {
    ExpertId fallback;
    try {
      fallback = new ExpertId(config.defaultExpert());
    } catch (IllegalArgumentException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, "mesh.gateway.default-expert: " + e.getMessage(), e);
    }
    return new ExpertResolver(experts, fallback);
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
      options = new VtcOptions(config.inputWeight(), config.outputWeight(), config.liftRule());
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, "mesh.fair: " + e.getMessage(), e);
    }
    return new VtcScheduler(options, new BackendCapacity(experts::get));
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
  RequestOrchestrator orchestrator(
      ExpertResolver resolver,
      VtcScheduler fair,
      TokenRateLimiter rateLimiter,
      MeterRegistry registry,
      OrchestrationConfig config) {
    return new RequestOrchestrator(
        resolver,
        fair,
        rateLimiter,
        new RequestMetrics(registry),
        config.defaultMaxTokens(),
        config.requestTimeout());
  }
}
