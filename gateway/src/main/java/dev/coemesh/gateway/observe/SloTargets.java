package dev.coemesh.gateway.observe;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The TTFT and TPOT targets: defaults for every expert, and overrides for some.
 *
 * @param overrides per expert; a missing phase there takes the default
 */
public record SloTargets(Duration ttft, Duration tpot, Map<ExpertId, ExpertTargets> overrides) {

  /** An expert's own targets; null for a phase that takes the default. */
  public record ExpertTargets(Duration ttft, Duration tpot) {}

  public SloTargets {
    positive(ttft, "mesh.slo.ttft");
    positive(tpot, "mesh.slo.tpot");
    overrides = Map.copyOf(overrides);
    overrides.forEach(
        (expert, o) -> {
          if (o.ttft() != null) {
            positive(o.ttft(), "mesh.slo.experts.\"" + expert + "\".ttft");
          }
          if (o.tpot() != null) {
            positive(o.tpot(), "mesh.slo.experts.\"" + expert + "\".tpot");
          }
        });
  }

  /**
   * Targets from {@code mesh.slo.*}. A non-positive duration, or an override for an expert not in
   * {@code served} (a typo would otherwise leave that expert on the defaults unnoticed), is {@code
   * CONFIG_INVALID}.
   */
  public static SloTargets from(SloConfig config, Set<ExpertId> served) {
    Map<ExpertId, ExpertTargets> overrides = new HashMap<>();
    config
        .experts()
        .forEach(
            (name, o) -> {
              ExpertId expert =
                  served.stream()
                      .filter(e -> e.value().equals(name))
                      .findFirst()
                      .orElseThrow(
                          () ->
                              new MeshException(
                                  ErrorCode.CONFIG_INVALID,
                                  "mesh.slo.experts.\""
                                      + name
                                      + "\" names an expert this gateway does not serve "
                                      + served.stream().map(ExpertId::value).sorted().toList()));
              overrides.put(
                  expert, new ExpertTargets(o.ttft().orElse(null), o.tpot().orElse(null)));
            });
    return new SloTargets(config.ttft(), config.tpot(), overrides);
  }

  /** The target of {@code expert} for {@code phase}. */
  public Duration target(ExpertId expert, SloPhase phase) {
    ExpertTargets o = overrides.get(expert);
    return switch (phase) {
      case TTFT -> o == null || o.ttft() == null ? ttft : o.ttft();
      case TPOT -> o == null || o.tpot() == null ? tpot : o.tpot();
    };
  }

  private static void positive(Duration d, String key) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, key + " must be positive, was " + d);
    }
  }
}
