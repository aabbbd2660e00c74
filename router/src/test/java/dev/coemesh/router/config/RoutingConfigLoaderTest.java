package dev.coemesh.router.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.router.config.RoutingConfig.FilterType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingConfigLoaderTest {
  static final String VALID =
      """
      version: 1
      categories:
        - name: code
          description: programming
          examples: [write a python function, fix this java bug, explain this regex]
        - name: chat
          examples: [hello there, how are you today, tell me a joke]
      experts:
        - name: stories
          source: {type: embedded, model: stories260K.bin, tokenizer: tok512.bin}
          context_length: 512
        - name: coder
          source: {type: upstream, url: "http://127.0.0.1:8000/v1", model: qwen2.5-coder, api_key_env: CODER_KEY, max_concurrent: 8}
          mode: disaggregated
          cost_per_1k_tokens: 0.2
          context_length: 32768
      routes:
        code: coder
        chat: stories
      fallback_expert: stories
      confidence_threshold: 0.6
      scorers: {prefix-affinity: 3}
      """;

  @Test
  void aValidFileLoadsWithDefaultsForWhatItOmits() {
    RoutingConfig config = RoutingConfigLoader.parse("routing.yaml", VALID);
    assertEquals(2, config.categories().size());
    assertEquals(
        new RoutingConfig.Route.Single(new ExpertId("coder")), config.routes().get("code"));
    assertEquals(new ExpertId("stories"), config.fallbackExpert());
    assertEquals(0.6, config.confidenceThreshold());
    RoutingConfig.Pipeline pipeline = config.pipeline();
    assertEquals(3.0, pipeline.scorerWeights().get(RoutingConfig.ScorerType.PREFIX_AFFINITY));
    assertEquals(1.0, pipeline.scorerWeights().get(RoutingConfig.ScorerType.LOAD));
    assertNull(pipeline.scorerWeights().get(RoutingConfig.ScorerType.QUEUE));
    assertEquals(256, pipeline.disaggregateAtTokens());
    assertEquals(
        List.of(FilterType.HEALTH, FilterType.ROLE, FilterType.CAPACITY), pipeline.filters());
    assertEquals(RoutingConfig.PickerType.MAX_SCORE, pipeline.picker());
    assertEquals(RoutingConfig.ClassifierSpec.DEFAULT, config.classifier());
    assertEquals(RoutingConfig.Overrides.DEFAULT, config.overrides());
    assertEquals(16, config.expert(new ExpertId("coder")).kvBlockSize());
    RoutingConfig.Expert coder = config.expert(new ExpertId("coder"));
    assertEquals(ServingMode.DISAGGREGATED, coder.mode());
    RoutingConfig.ModelSource.Upstream upstream =
        assertInstanceOf(RoutingConfig.ModelSource.Upstream.class, coder.source());
    assertEquals("127.0.0.1", upstream.url().getHost());
    assertEquals("CODER_KEY", upstream.apiKeyEnv());
    assertEquals(8, upstream.maxConcurrent());
    assertEquals(32768, coder.contextLength());
  }

  /** Each broken variant of the valid file, and the exact line and field its error names. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "version: 1|version: 2|routing.yaml:1: version: must be in [1.0, 1.0], got 2",
        "mode: disaggregated|mode: sideways|routing.yaml:14: experts[1].mode: must be one of colocated, disaggregated, got 'sideways'",
        "code: coder|code: nobody|routing.yaml:18: routes.code: unknown expert 'nobody'",
        "fallback_expert: stories|fallback_expert: ghost|routing.yaml:20: fallback_expert: unknown expert 'ghost'",
        "confidence_threshold: 0.6|confidence_threshold: 1.5|routing.yaml:21: confidence_threshold: must be in [0.0, 1.0], got 1.5",
        "scorers: {prefix-affinity: 3}|scorers: {prefix-afinity: 3}|routing.yaml:22: scorers.prefix-afinity: unknown key (known: ",
        "\"http://127.0.0.1:8000/v1\"|\"ftp://x\"|routing.yaml:13: experts[1].source.url: must be an http(s) URL with a host, got ftp://x",
        "name: chat|name: code|routing.yaml:6: categories[1].name: duplicate category 'code'",
        "examples: [hello there, how are you today, tell me a joke]|examples: [hello there]|routing.yaml:7: categories[1].examples: needs at least 3 examples to train on, has 1",
        "type: embedded|type: magic|routing.yaml:10: experts[0].source.type: must be embedded or upstream, got 'magic'",
        "  chat: stories|  chatty: stories|routing.yaml:19: routes.chatty: unknown key (known: ",
        "api_key_env: CODER_KEY|api_key_env: 'sk-123'|routing.yaml:13: experts[1].source.api_key_env: must name an environment variable (letters, digits, _), got 'sk-123'",
        "max_concurrent: 8|max_concurrent: 0|routing.yaml:13: experts[1].source.max_concurrent: ",
        "context_length: 32768|kv_block_size: 16|routing.yaml:12: experts[1].context_length: is required for an upstream source",
        "tokenizer: tok512.bin|tokenizer: tok512.bin, max_concurrent: 2|routing.yaml:10: experts[0].source.max_concurrent: only an upstream source has max_concurrent",
      })
  void errorsNameTheFileLineAndField(String from, String to, String expected) {
    String broken = VALID.replace(from, to);
    MeshException e =
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("routing.yaml", broken));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertEquals(
        expected,
        e.getMessage().substring(0, Math.min(e.getMessage().length(), expected.length())));
  }

  @Test
  void aCategoryWithoutARouteAndMalformedYamlAreRejected() {
    String missing = VALID.replace("  chat: stories\n", "");
    assertEquals(
        "routing.yaml:18: routes.chat: category 'chat' has no expert",
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("routing.yaml", missing))
            .getMessage());
    MeshException yaml =
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("r.yaml", "version: [1"));
    assertEquals(ErrorCode.CONFIG_INVALID, yaml.code());
    assertEquals(
        "r.yaml: the file is empty",
        assertThrows(MeshException.class, () -> RoutingConfigLoader.parse("r.yaml", ""))
            .getMessage());
  }

  @Test
  void hotReloadSwapsValidFilesAndKeepsTheOldConfigOnABadOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("routing.yaml");
    Files.writeString(file, VALID);
    AtomicInteger changes = new AtomicInteger();
    try (ConfigWatcher<RoutingConfig> watcher =
        new ConfigWatcher<>(
            "routing config",
            file,
            Duration.ofHours(1),
            RoutingConfigLoader::load,
            c -> changes.incrementAndGet())) {
      assertEquals(0.6, watcher.current().confidenceThreshold());
      write(file, VALID.replace("confidence_threshold: 0.6", "confidence_threshold: 0.8"), 10);
      watcher.check();
      assertEquals(0.8, watcher.current().confidenceThreshold());
      assertNull(watcher.lastError());
      write(file, VALID.replace("code: coder", "code: nobody"), 20);
      watcher.check();
      assertEquals(
          0.8,
          watcher.current().confidenceThreshold(),
          "the bad file did not replace the good one");
      assertEquals("routing.yaml:18: routes.code: unknown expert 'nobody'", watcher.lastError());
      assertEquals(1, changes.get());
    }
  }

  /**
   * Writes and moves the modification time forward, so coarse file-system clocks still see a
   * change.
   */
  private static void write(Path file, String text, int secondsLater) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
  }
}
