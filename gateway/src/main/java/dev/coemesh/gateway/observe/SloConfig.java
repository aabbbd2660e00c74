package dev.coemesh.gateway.observe;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Latency objectives per expert ({@code mesh.slo.*}): a request meets its TTFT objective when its
 * first token came within {@link #ttft()} of arrival, and its TPOT objective when its mean time per
 * output token after the first is within {@link #tpot()}.
 */
@ConfigMapping(prefix = "mesh.slo")
public interface SloConfig {

  /** Arrival to first token, queueing included. */
  @WithDefault("2s")
  Duration ttft();

  /** Mean time between output tokens after the first. */
  @WithDefault("100ms")
  Duration tpot();

  /** How far back the live attainment looks (the counters count since start). */
  @WithDefault("5m")
  Duration window();

  /**
   * How often each expert's attainment goes out on {@code mesh.slo} (when signals travel over
   * Kafka), for the planner.
   */
  @WithDefault("10s")
  Duration publishInterval();

  /** Per-expert targets, {@code mesh.slo.experts."<expert>".ttft / tpot}; unset ones default. */
  Map<String, ExpertSlo> experts();

  interface ExpertSlo {
    Optional<Duration> ttft();

    Optional<Duration> tpot();
  }
}
