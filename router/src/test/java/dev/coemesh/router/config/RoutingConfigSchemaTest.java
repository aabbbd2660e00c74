package dev.coemesh.router.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.router.config.RoutingConfig.FilterType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The classifier, override, pipeline and cost/quality parts of the schema, and the default file.
 */
class RoutingConfigSchemaTest {
  static final String FULL =
      """
      version: 1
      classifier: {type: knn, k: 3, folds: 3}
      overrides: {explicit_model: false, category_hint: true, auto_model: router}
      filters: [role, health]
      scorers: {queue: 2, session-affinity: 0}
      picker: max-score
      decider: uncached-prompt
      disaggregate_at_tokens: 512
      categories:
        - name: math
          examples: [what is 2 + 2, solve x + 1 = 3, area of a unit circle]
          strong_examples: [prove Fermat's little theorem, prove the prime number theorem, derive Stirling's formula]
      experts:
        - name: small
          source: {type: upstream, url: "https://llm.internal:8443/v1", model: qwen2.5-7b}
          kv_block_size: 32
          context_length: 32768
        - {name: large, source: {type: upstream, url: "http://10.0.0.9:8000/v1", model: qwen2.5-72b}, context_length: 131072, prefix_cache: shared}
      routes:
        math: {strong: large, weak: small, strong_fraction: 0.25}
      fallback_expert: small
      """;

  @Test
  void everySectionLoadsIntoItsTypedForm() {
    RoutingConfig c = RoutingConfigLoader.parse("full.yaml", FULL);
    assertEquals(
        new RoutingConfig.ClassifierSpec(RoutingConfig.ClassifierType.KNN, 3, 3), c.classifier());
    assertEquals(new RoutingConfig.Overrides(false, true, "router"), c.overrides());
    assertEquals(List.of(FilterType.ROLE, FilterType.HEALTH), c.pipeline().filters());
    assertEquals(2.0, c.pipeline().scorerWeights().get(RoutingConfig.ScorerType.QUEUE));
    assertEquals(0.0, c.pipeline().scorerWeights().get(RoutingConfig.ScorerType.SESSION_AFFINITY));
    assertEquals(2.0, c.pipeline().scorerWeights().get(RoutingConfig.ScorerType.PREFIX_AFFINITY));
    assertEquals(512, c.pipeline().disaggregateAtTokens());
    assertEquals(
        new RoutingConfig.Route.StrongWeak(new ExpertId("large"), new ExpertId("small"), 0.25),
        c.routes().get("math"));
    assertEquals(3, c.category("math").strongExamples().size());
    assertEquals(32, c.expert(new ExpertId("small")).kvBlockSize());
    assertEquals(
        RoutingConfig.PrefixCache.TENANT,
        c.expert(new ExpertId("small")).prefixCache(),
        "cached prefixes stay within a tenant unless the config shares them");
    assertEquals(RoutingConfig.PrefixCache.SHARED, c.expert(new ExpertId("large")).prefixCache());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "type: knn|type: svm|full.yaml:2: classifier.type: must be one of auto, nearest-centroid, knn, softmax, got 'svm'",
        "k: 3|k: 2.5|full.yaml:2: classifier.k: must be a whole number, got 2.5",
        "folds: 3|folds: 1|full.yaml:2: classifier.folds: must be in [2.0, 20.0], got 1",
        "explicit_model: false|explicit_model: nope|full.yaml:3: overrides.explicit_model: must be true or false, got 'nope'",
        "filters: [role, health]|filters: [role, wealth]|full.yaml:4: filters[1]: must be one of health, role, capacity, got 'wealth'",
        "filters: [role, health]|filters: [role, role]|full.yaml:4: filters[1]: duplicate filter 'role'",
        "picker: max-score|picker: min-score|full.yaml:6: picker: must be one of max-score, round-robin, got 'min-score'",
        "decider: uncached-prompt|decider: coin|full.yaml:7: decider: must be one of uncached-prompt, got 'coin'",
        "kv_block_size: 32|kv_block_size: 0|full.yaml:16: experts[0].kv_block_size: must be in [1.0, 4096.0], got 0",
        "prefix_cache: shared|prefix_cache: everyone|full.yaml:18: experts[1].prefix_cache: must be one of tenant, shared, got 'everyone'",
        "weak: small|weak: large|full.yaml:20: routes.math.weak: must differ from the strong expert",
        "strong_fraction: 0.25|strong_fraction: 2|full.yaml:20: routes.math.strong_fraction: must be in [0.0, 1.0], got 2",
        ", strong_fraction: 0.25||full.yaml:20: routes.math.strong_fraction: is required",
        "weak: small|weak: tiny|full.yaml:20: routes.math.weak: unknown expert 'tiny'",
        "auto_model: router|auto_model: ''|full.yaml:3: overrides.auto_model: must not be empty",
      })
  void newSectionErrorsNameTheLineAndField(String from, String to, String expected) {
    String broken = FULL.replace(from, to == null ? "" : to);
    MeshException e =
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("full.yaml", broken));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertEquals(expected, e.getMessage());
  }

  @Test
  void aStrongWeakRouteNeedsStrongExamples() {
    String noStrong = FULL.replaceAll("(?m)^ +strong_examples:.*\\n", "");
    assertEquals(
        "full.yaml:19: routes.math: a strong/weak route needs at least 3 strong_examples in"
            + " category 'math' to estimate win rates, has 0",
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("full.yaml", noStrong))
            .getMessage());
  }

  @Test
  void theDefaultConfigHasTheNineCategoriesWithThirtyDistinctExamplesEach() {
    RoutingConfig c = RoutingConfigLoader.loadDefault();
    List<String> names = c.categories().stream().map(RoutingConfig.Category::name).toList();
    assertEquals(
        List.of(
            "code",
            "math",
            "health",
            "law",
            "business",
            "science",
            "humanities",
            "creative",
            "chat"),
        names);
    Set<String> seen = new HashSet<>();
    for (RoutingConfig.Category category : c.categories()) {
      assertTrue(category.examples().size() >= 30, category.name());
      for (String e : category.examples()) {
        assertTrue(seen.add(e.toLowerCase()), "duplicate example: " + e);
      }
    }
    assertEquals(new ExpertId("stories"), c.fallbackExpert());
    assertEquals(
        new RoutingConfig.Route.Single(new ExpertId("stories")), c.routes().get("creative"));
    assertEquals(new RoutingConfig.Route.Single(new ExpertId("stories")), c.routes().get("chat"));
    assertTrue(
        c.expert(new ExpertId("stories")).source()
                instanceof RoutingConfig.ModelSource.Embedded(String model, String tokenizer)
            && model.equals("stories260K.bin")
            && tokenizer.equals("tok512.bin"));
  }

  @Test
  void theDefaultFileLoadsFromAnyPathToo(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("mine.yaml");
    try (var in =
        getClass().getClassLoader().getResourceAsStream(RoutingConfigLoader.DEFAULT_RESOURCE)) {
      Files.write(copy, in.readAllBytes());
    }
    assertEquals(RoutingConfigLoader.loadDefault(), RoutingConfigLoader.load(copy));
    MeshException missing =
        assertThrows(MeshException.class, () -> RoutingConfigLoader.load(dir.resolve("none.yaml")));
    assertEquals(ErrorCode.CONFIG_INVALID, missing.code());
    assertTrue(missing.getMessage().contains("none.yaml: cannot read"));
  }
}
