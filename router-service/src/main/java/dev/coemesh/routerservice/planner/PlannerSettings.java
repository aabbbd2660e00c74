package dev.coemesh.routerservice.planner;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

/**
 * The run-time planner ({@code mesh.planner.*}): its loops, and what one replica of each phase
 * serves.
 *
 * <pre>
 * mesh.planner.enabled=true
 * mesh.planner.experts."code".decode.replica-rps=4
 * mesh.planner.experts."code".decode.service-ms=40
 * mesh.planner.experts."code".decode.slo-ms=100
 * </pre>
 */
@ConfigMapping(prefix = "mesh.planner")
public interface PlannerSettings {
  /** Whether the loops run; decisions are published either way only while they do. */
  @WithDefault("false")
  boolean enabled();

  /** The load loop's period: one replica more or fewer on SLO attainment. */
  @WithDefault("5s")
  Duration loadInterval();

  /** The throughput loop's period: the floor from the predicted load. */
  @WithDefault("2m")
  Duration throughputInterval();

  /** How far back arrivals are counted for the predicted rate. */
  @WithDefault("2m")
  Duration rateWindow();

  /** A replica not heard from on {@code mesh.load} for this long is not ready. */
  @WithDefault("10s")
  Duration replicaExpiry();

  /** Bounds the planner keeps to before the operator applies the Expert's own. */
  @WithDefault("1")
  int minReplicas();

  @WithDefault("16")
  int maxReplicas();

  /** After a change, how long before the load loop adds another replica. */
  @WithDefault("30s")
  Duration scaleUpCooldown();

  /** After a change, how long before the load loop removes one. */
  @WithDefault("5m")
  Duration scaleDownCooldown();

  /** Asked-for replicas not ready after this long are given up on (dynamo#14251). */
  @WithDefault("5m")
  Duration pendingTimeout();

  /** Per expert and phase ({@code colocated}, {@code prefill}, {@code decode}). */
  Map<String, Map<String, PhaseProfile>> experts();

  /** Unset phases of unset experts use these. */
  Map<String, PhaseProfile> defaults();

  /** What one replica serves: see {@code dev.coemesh.planner.control.ReplicaCapacity}. */
  interface PhaseProfile {
    /** Requests per second one fully busy replica completes. */
    @WithDefault("2")
    double replicaRps();

    /** An unqueued request's latency in the phase (prefill time, or time per output token). */
    @WithDefault("200")
    double serviceMs();

    /** The objective for that latency (TTFT, or TPOT for decode). */
    @WithDefault("2000")
    double sloMs();
  }
}
