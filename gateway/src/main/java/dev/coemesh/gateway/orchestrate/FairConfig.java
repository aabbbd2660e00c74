package dev.coemesh.gateway.orchestrate;

import dev.coemesh.gateway.fair.LiftRule;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
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
}
