package dev.coemesh.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SloTargetsTest {
  private static final ExpertId CHAT = new ExpertId("chat");
  private static final ExpertId CODE = new ExpertId("code");

  private record Config(Map<String, ExpertSlo> experts) implements SloConfig {
    @Override
    public Duration ttft() {
      return Duration.ofSeconds(2);
    }

    @Override
    public Duration tpot() {
      return Duration.ofMillis(100);
    }

    @Override
    public Duration window() {
      return Duration.ofMinutes(5);
    }

    @Override
    public Duration publishInterval() {
      return Duration.ofSeconds(10);
    }
  }

  private record ExpertConfig(Optional<Duration> ttft, Optional<Duration> tpot)
      implements SloConfig.ExpertSlo {}

  @Test
  void anOverrideSetsOnlyThePhasesItNames() {
    SloTargets targets =
        SloTargets.from(
            new Config(
                Map.of(
                    "code",
                    new ExpertConfig(Optional.empty(), Optional.of(Duration.ofMillis(40))))),
            Set.of(CHAT, CODE));

    assertEquals(Duration.ofSeconds(2), targets.target(CODE, SloPhase.TTFT));
    assertEquals(Duration.ofMillis(40), targets.target(CODE, SloPhase.TPOT));
    assertEquals(Duration.ofMillis(100), targets.target(CHAT, SloPhase.TPOT));
  }

  @Test
  void anOverrideForAnExpertNotServedStopsTheStart() {
    MeshException e =
        assertThrows(
            MeshException.class,
            () ->
                SloTargets.from(
                    new Config(
                        Map.of(
                            "coder",
                            new ExpertConfig(
                                Optional.of(Duration.ofSeconds(1)), Optional.empty()))),
                    Set.of(CHAT, CODE)));

    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertEquals(
        "mesh.slo.experts.\"coder\" names an expert this gateway does not serve [chat, code]",
        e.getMessage());
  }
}
