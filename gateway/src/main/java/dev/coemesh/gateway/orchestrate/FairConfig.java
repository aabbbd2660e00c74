package dev.coemesh.gateway.orchestrate;

import dev.coemesh.gateway.fair.LiftRule;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** VTC fair admission settings ({@code mesh.fair.*}); see ALGORITHMS.md §3. */
@ConfigMapping(prefix = "mesh.fair")
public interface FairConfig {

  /** {@code w_p}: counter charge per prompt token before the tenant weight divides it. */
  @WithDefault("1")
  double inputWeight();

  /** {@code w_q}: counter charge per generated token before the tenant weight divides it. */
  @WithDefault("2")
  double outputWeight();

  /** How a tenant's counter is lifted when its queue becomes non-empty. */
  @WithDefault("backlogged-min-or-last-departed")
  LiftRule liftRule();

  /**
   * Slots of each expert that batch requests ({@code x-mesh-priority: batch}) may not take, so that
   * an interactive request does not wait for a batch one to finish. Unset: a quarter of the
   * expert's slots, at least 1. Batch requests always keep at least one slot.
   */
  OptionalInt interactiveReserve();

  /** Sharing charges with the other gateway replicas over Kafka ({@code mesh.usage}). */
  Global global();

  /** {@code mesh.fair.global.*}: see {@code GlobalUsage} and docs/operations.md. */
  interface Global {
    /**
     * On by default whenever signals travel over Kafka ({@code
     * mesh.signals.kafka.bootstrap-servers} is set); {@code false} keeps every replica's counters
     * its own.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * This replica's name in {@code mesh.usage}; default: the host name (the pod name on
     * Kubernetes). A random suffix per start is always added.
     */
    Optional<String> gatewayId();

    /** How often changed totals are published; the main part of the lag allowance. */
    @WithDefault("100ms")
    Duration flushInterval();

    /** How often all totals are published again, so that replicas converge after an outage. */
    @WithDefault("1s")
    Duration resendInterval();

    /** How far back a starting replica reads {@code mesh.usage} to rebuild its counters. */
    @WithDefault("10m")
    Duration history();

    /** After this long without its own totals coming back, a replica reports local-only VTC. */
    @WithDefault("3s")
    Duration echoTimeout();
  }
}
