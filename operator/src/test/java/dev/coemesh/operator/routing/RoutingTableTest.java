package dev.coemesh.operator.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.ModelSource;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ReplicaBounds;
import dev.coemesh.k8s.expert.ServingMode;
import dev.coemesh.k8s.expert.Slo;
import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The generated routing config, read back by the router's own loader. */
class RoutingTableTest {
  private static final RoutingTable TABLE = RoutingTable.load(Optional.empty());

  private static ExpertPlan plan(
      String name, String created, Map<String, String> annotations, String... categories)
      throws Exception {
    Expert e = new Expert();
    e.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("coemesh")
            .withCreationTimestamp(created)
            .withAnnotations(annotations)
            .build());
    e.setSpec(
        new ExpertSpec(
            new ModelSource("synthetic:stories15M", null, null),
            List.of(categories),
            ServingMode.COLOCATED,
            new Slo("2s", "100ms"),
            new ReplicaBounds(new PhaseReplicas(1, 2), null, null),
            null,
            null));
    return ExpertPlan.of(e);
  }

  private static RoutingConfig config(RoutingTable.Result result) {
    return RoutingConfigLoader.parse("routing.yaml", result.yaml().orElseThrow());
  }

  @Test
  void theCategoriesComeFromTheBaseWithTheirExamples() throws Exception {
    RoutingConfig config =
        config(
            TABLE.build(
                List.of(plan("maths", "2026-01-01T00:00:00Z", Map.of(), "math", "science"))));
    RoutingConfig base = RoutingConfigLoader.loadDefault();
    assertEquals(base.category("math"), config.category("math"));
    assertEquals(2, config.categories().size());
    assertEquals(base.pipeline(), config.pipeline(), "the base's pipeline is kept");
    assertEquals(base.classifier(), config.classifier());
    assertEquals(
        new RoutingConfig.ModelSource.Embedded("synthetic:stories15M", null),
        config.expert(new ExpertId("maths")).source());
  }

  @Test
  void theFallbackIsTheAnnotatedExpertElseChatsElseTheFirstByName() throws Exception {
    ExpertPlan bravo = plan("bravo", "2026-01-01T00:00:00Z", Map.of(), "code");
    ExpertPlan alpha = plan("alpha", "2026-01-01T00:00:00Z", Map.of(), "law");
    ExpertPlan talker = plan("talker", "2026-01-01T00:00:00Z", Map.of(), "chat");
    ExpertPlan marked =
        plan("marked", "2026-01-01T00:00:00Z", Map.of("coemesh.dev/fallback", "true"), "health");
    assertEquals(
        new ExpertId("alpha"), config(TABLE.build(List.of(bravo, alpha))).fallbackExpert());
    assertEquals(
        new ExpertId("talker"),
        config(TABLE.build(List.of(bravo, alpha, talker))).fallbackExpert());
    assertEquals(
        new ExpertId("marked"),
        config(TABLE.build(List.of(bravo, alpha, talker, marked))).fallbackExpert());
  }

  @Test
  void theOlderExpertKeepsAContestedCategory() throws Exception {
    ExpertPlan newer = plan("aaa", "2026-02-01T00:00:00Z", Map.of(), "code", "chat");
    ExpertPlan older = plan("zzz", "2026-01-01T00:00:00Z", Map.of(), "code");
    RoutingTable.Result result = TABLE.build(List.of(newer, older));
    assertEquals(List.of(older), result.accepted());
    assertEquals("CategoryClaimed", result.refused().get("aaa").reason());
    assertEquals(
        "spec.categories: code is already served by Expert zzz",
        result.refused().get("aaa").getMessage());
    assertEquals(
        Map.of("code", new RoutingConfig.Route.Single(new ExpertId("zzz"))),
        config(result).routes());
  }

  @Test
  void noExpertNoConfig() {
    RoutingTable.Result result = TABLE.build(List.of());
    assertTrue(result.yaml().isEmpty());
  }
}
