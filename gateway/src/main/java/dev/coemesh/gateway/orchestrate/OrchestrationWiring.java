package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.GlobalUsage;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.limit.TenantLimits;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.trace.TracingConfig;
import dev.coemesh.router.Router;
import dev.coemesh.signals.kafka.SignalSettings;
import dev.coemesh.worker.trace.WorkerTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/** CDI wiring of the request lifecycle from its configuration and the serving side's beans. */
@Singleton
public class OrchestrationWiring {
  private static final Logger LOG = Logger.getLogger(OrchestrationWiring.class);

  @Produces
  @Singleton
  ExpertResolver resolver(ExpertDirectory experts, Router router) {
    return new ExpertResolver(experts, router);
  }

  /**
   * VTC fair admission, capacity from each expert's own snapshot (batch slots, KV pool); counters
   * shared with the other gateway replicas over Kafka when signals travel there ({@link
   * GlobalUsage}), else local to this replica.
   */
  @Produces
  @Singleton
  VtcScheduler fairScheduler(
      ExpertDirectory experts, FairConfig config, SignalBus signals, SignalSettings settings) {
    VtcOptions options;
    GlobalUsage global;
    try {
      options =
          new VtcOptions(
              config.inputWeight(),
              config.outputWeight(),
              config.liftRule(),
              config.interactiveReserve().orElse(VtcOptions.AUTO_RESERVE));
      global = globalUsage(config.global(), signals, settings);
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, "mesh.fair: " + e.getMessage(), e);
    }
    BackendCapacity capacity =
        new BackendCapacity(
            expert -> {
              ExpertPool pool = experts.get(expert);
              return pool == null ? null : pool.capacity();
            });
    if (global == null) {
      return new VtcScheduler(options, capacity);
    }
    LOG.infof("fair-share counters shared over mesh.usage as %s", global.gatewayId());
    return new VtcScheduler(options, capacity, global);
  }

  /** The usage exchange, or null when signals stay in this process or it is switched off. */
  static GlobalUsage globalUsage(
      FairConfig.Global config, SignalBus signals, SignalSettings settings) {
    if (!config.enabled() || settings.kafka().bootstrapServers().isEmpty()) {
      return null;
    }
    String name =
        config.gatewayId().filter(id -> !id.isBlank()).orElseGet(OrchestrationWiring::hostName);
    // a new incarnation per start: what an earlier one served stays counted by the others
    String incarnation =
        name + "#" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36);
    return new GlobalUsage(
        signals,
        incarnation,
        config.flushInterval(),
        config.resendInterval(),
        config.history(),
        config.echoTimeout());
  }

  private static String hostName() {
    String pod = System.getenv("HOSTNAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "gateway";
    }
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
      TenantLimits limits,
      RequestMetrics metrics,
      RequestObserver observer,
      OrchestrationConfig config,
      OpenTelemetry openTelemetry,
      TracingConfig tracing) {
    return new RequestOrchestrator(
        resolver,
        fair,
        rateLimiter,
        limits,
        metrics,
        observer,
        config.defaultMaxTokens(),
        config.requestTimeout(),
        openTelemetry.getTracer(WorkerTracing.SCOPE),
        tracing.capturePrompts());
  }
}
