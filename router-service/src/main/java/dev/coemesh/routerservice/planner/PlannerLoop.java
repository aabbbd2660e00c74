package dev.coemesh.routerservice.planner;

import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.signal.SignalEvent.RoutingDecision;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.planner.control.Bounds;
import dev.coemesh.planner.control.ControlSettings;
import dev.coemesh.planner.control.Decision;
import dev.coemesh.planner.control.Phase;
import dev.coemesh.planner.control.PhaseController;
import dev.coemesh.planner.control.PhaseSignals;
import dev.coemesh.planner.control.Reason;
import dev.coemesh.planner.control.ReplicaCapacity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * The planner's two loops over every expert pool the signals name ({@link PhaseController} each):
 * it subscribes to {@code mesh.routing}, {@code mesh.load} and {@code mesh.slo}, and publishes each
 * decision as {@code mesh_planner_desired_replicas{expert,phase}}, {@code
 * mesh_planner_floor_replicas{expert,phase}}, {@code mesh_planner_decisions_total{expert,phase,
 * reason}} and in {@link #rows()} ({@code GET /v1/planner}), which the operator applies.
 *
 * <p>The caller drives the ticks ({@link #loadTick}, {@link #throughputTick}); thread-safe.
 */
public final class PlannerLoop implements AutoCloseable {
  private record Key(String expert, Phase phase) {}

  private final PlannerSignals signals;
  private final BiFunction<String, Phase, ReplicaCapacity> capacities;
  private final Bounds bounds;
  private final ControlSettings settings;
  private final MeterRegistry registry;
  private final LongSupplier clockMillis;
  private final Map<Key, PhaseController> controllers = new ConcurrentHashMap<>();
  private final Map<Key, AtomicInteger[]> gauges = new ConcurrentHashMap<>(); // {desired, floor}
  private final Map<Key, Integer> readySeen = new ConcurrentHashMap<>();
  private final List<AutoCloseable> subscriptions = new ArrayList<>();

  /**
   * @param capacities what one replica of an expert's phase serves
   * @param bounds the bounds the planner keeps to (the operator applies each Expert's own)
   */
  public PlannerLoop(
      SignalBus bus,
      BiFunction<String, Phase, ReplicaCapacity> capacities,
      Bounds bounds,
      ControlSettings settings,
      long rateWindowMs,
      long replicaExpiryMs,
      MeterRegistry registry,
      LongSupplier clockMillis) {
    this.signals = new PlannerSignals(rateWindowMs, replicaExpiryMs);
    this.capacities = Objects.requireNonNull(capacities, "capacities");
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
    subscriptions.add(
        bus.subscribe(RoutingDecision.class, d -> signals.routed(d, clockMillis.getAsLong())));
    subscriptions.add(
        bus.subscribe(LoadReport.class, r -> signals.load(r, clockMillis.getAsLong())));
    subscriptions.add(bus.subscribe(SloReport.class, signals::slo));
  }

  /** The throughput loop over every pool: each phase's floor from the predicted load. */
  public void throughputTick() {
    long now = clockMillis.getAsLong();
    for (Key k : keys()) {
      controller(k).throughputTick(observe(k, now));
    }
  }

  /** The load loop over every pool: at most one replica more or fewer each. */
  public void loadTick() {
    long now = clockMillis.getAsLong();
    for (Key k : keys()) {
      PhaseSignals s = observe(k, now);
      Decision d = controller(k).loadTick(s, false);
      readySeen.put(k, s.readyReplicas());
      AtomicInteger[] g = gauges(k);
      g[0].set(d.desiredReplicas());
      g[1].set(d.floor());
      Counter.builder("mesh.planner.decisions")
          .tag("expert", k.expert())
          .tag("phase", k.phase().label())
          .tag("reason", d.reason().label())
          .description("load-loop decisions by reason")
          .register(registry)
          .increment();
    }
  }

  /** The last decision of every pool, sorted by expert and phase. */
  public List<PlanRow> rows() {
    List<PlanRow> rows = new ArrayList<>();
    for (Key k : keys()) {
      PhaseController c = controllers.get(k);
      Decision d = c == null ? null : c.last();
      if (d != null) {
        rows.add(
            new PlanRow(
                k.expert(),
                k.phase().label(),
                d.desiredReplicas(),
                d.floor(),
                readySeen.getOrDefault(k, 0),
                d.reason().label(),
                d.lastChangeMs()));
      }
    }
    return rows;
  }

  /** The current reason of a pool, or null before its first tick (tests). */
  Reason reason(String expert, Phase phase) {
    PhaseController c = controllers.get(new Key(expert, phase));
    return c == null || c.last() == null ? null : c.last().reason();
  }

  private List<Key> keys() {
    return signals.pools().stream()
        .map(
            p -> {
              int slash = p.lastIndexOf('/');
              return new Key(p.substring(0, slash), Phase.of(p.substring(slash + 1)));
            })
        .toList();
  }

  private PhaseSignals observe(Key k, long now) {
    ReplicaCapacity capacity = capacities.apply(k.expert(), k.phase());
    double observed = signals.observedLatencyMs(k.expert(), k.phase());
    return new PhaseSignals(
        now,
        signals.arrivalRps(k.expert(), now),
        observed / capacity.serviceMs(),
        signals.attainment(k.expert(), k.phase(), now),
        signals.ready(k.expert(), k.phase(), now));
  }

  private PhaseController controller(Key k) {
    return controllers.computeIfAbsent(
        k,
        key -> new PhaseController(bounds, capacities.apply(key.expert(), key.phase()), settings));
  }

  private AtomicInteger[] gauges(Key k) {
    return gauges.computeIfAbsent(
        k,
        key -> {
          AtomicInteger desired = new AtomicInteger();
          AtomicInteger floor = new AtomicInteger();
          Gauge.builder("mesh.planner.desired.replicas", desired, AtomicInteger::get)
              .tag("expert", key.expert())
              .tag("phase", key.phase().label())
              .description("replicas the planner asks the phase to run")
              .register(registry);
          Gauge.builder("mesh.planner.floor.replicas", floor, AtomicInteger::get)
              .tag("expert", key.expert())
              .tag("phase", key.phase().label())
              .description("the throughput loop's floor for the predicted load")
              .register(registry);
          return new AtomicInteger[] {desired, floor};
        });
  }

  @Override
  public void close() {
    for (AutoCloseable s : subscriptions) {
      try {
        s.close();
      } catch (Exception ignored) {
        // the bus is closing too
      }
    }
  }
}
