package dev.coemesh.routerservice.planner;

import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.planner.control.Bounds;
import dev.coemesh.planner.control.ControlSettings;
import dev.coemesh.planner.control.Phase;
import dev.coemesh.planner.control.ReplicaCapacity;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs the planner's loops in this process when {@code mesh.planner.enabled}: the router service
 * hears every signal the planner needs. Decisions go out as metrics and on {@code GET /v1/planner}.
 */
@Singleton
public class PlannerWiring {
  private static final Logger LOG = Logger.getLogger(PlannerWiring.class);

  private volatile PlannerLoop loop;
  private volatile ScheduledExecutorService timer;

  void start(
      @Observes StartupEvent started,
      PlannerSettings settings,
      SignalBus bus,
      MeterRegistry registry) {
    if (!settings.enabled()) {
      return;
    }
    ControlSettings defaults = ControlSettings.defaults();
    ControlSettings control =
        new ControlSettings(
            defaults.attainmentTarget(),
            defaults.comfortableAttainment(),
            defaults.maxUtilisation(),
            defaults.scaleDownUtilisation(),
            defaults.missTicksToScaleUp(),
            defaults.comfortTicksToScaleDown(),
            settings.scaleUpCooldown().toMillis(),
            settings.scaleDownCooldown().toMillis(),
            settings.pendingTimeout().toMillis());
    loop =
        new PlannerLoop(
            bus,
            (expert, phase) -> capacity(settings, expert, phase),
            new Bounds(settings.minReplicas(), settings.maxReplicas()),
            control,
            settings.rateWindow().toMillis(),
            settings.replicaExpiry().toMillis(),
            registry,
            System::currentTimeMillis);
    timer =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("planner").factory());
    long load = settings.loadInterval().toMillis();
    long throughput = settings.throughputInterval().toMillis();
    timer.scheduleWithFixedDelay(
        quietly(loop::throughputTick), load, throughput, TimeUnit.MILLISECONDS);
    timer.scheduleWithFixedDelay(quietly(loop::loadTick), load, load, TimeUnit.MILLISECONDS);
    LOG.infof(
        "planner: load loop every %s, throughput loop every %s",
        settings.loadInterval(), settings.throughputInterval());
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (loop != null) {
      loop.close();
    }
  }

  /** The running loops, or null when the planner is off. */
  PlannerLoop loop() {
    return loop;
  }

  static ReplicaCapacity capacity(PlannerSettings settings, String expert, Phase phase) {
    Map<String, PlannerSettings.PhaseProfile> phases = settings.experts().get(expert);
    PlannerSettings.PhaseProfile p =
        phases != null && phases.containsKey(phase.label())
            ? phases.get(phase.label())
            : settings.defaults().get(phase.label());
    if (p == null) {
      // a decode step of the shipped tiny model on one core, and a 2 s TTFT / 100 ms TPOT
      return phase == Phase.DECODE
          ? new ReplicaCapacity(4, 20, 100, false)
          : new ReplicaCapacity(4, 100, 2000, true);
    }
    return new ReplicaCapacity(p.replicaRps(), p.serviceMs(), p.sloMs(), phase != Phase.DECODE);
  }

  private static Runnable quietly(Runnable tick) {
    return () -> {
      try {
        tick.run();
      } catch (RuntimeException e) {
        LOG.warnf(e, "planner tick failed; the next one tries again");
      }
    };
  }
}
