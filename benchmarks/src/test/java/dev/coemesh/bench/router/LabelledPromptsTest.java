package dev.coemesh.bench.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelledPromptsTest {
  static final Set<String> CATEGORIES = Set.of("code", "chat");
  static final String HELD_OUT_RESOURCE = "routing/heldout-dataset.jsonl";

  @Test
  void theShippedDatasetHasTwentyPromptsPerCategoryNoneCopiedFromTheConfig() {
    RoutingConfig config = RoutingConfigLoader.loadDefault();
    Set<String> names = new LinkedHashSet<>();
    Set<String> examples = new HashSet<>();
    for (RoutingConfig.Category c : config.categories()) {
      names.add(c.name());
      c.examples().forEach(e -> examples.add(e.toLowerCase()));
      c.strongExamples().forEach(e -> examples.add(e.toLowerCase()));
    }
    LabelledPrompts data = LabelledPrompts.loadDefault(names);
    Map<String, Integer> counts = new HashMap<>();
    Set<String> prompts = new HashSet<>();
    for (LabelledPrompts.Item item : data.items()) {
      counts.merge(item.category(), 1, Integer::sum);
      assertFalse(examples.contains(item.prompt().toLowerCase()), "copied: " + item.prompt());
      assertTrue(prompts.add(item.prompt()), "duplicate: " + item.prompt());
    }
    for (String name : names) {
      assertTrue(counts.getOrDefault(name, 0) >= 20, name + " has " + counts.get(name));
    }
  }

  @Test
  void theHeldOutDatasetHasTwentyPromptsPerCategoryNoneCopiedFromTheConfig() throws Exception {
    RoutingConfig config = RoutingConfigLoader.loadDefault();
    Set<String> names = new LinkedHashSet<>();
    Set<String> examples = new HashSet<>();
    for (RoutingConfig.Category c : config.categories()) {
      names.add(c.name());
      c.examples().forEach(e -> examples.add(e.toLowerCase()));
      c.strongExamples().forEach(e -> examples.add(e.toLowerCase()));
    }
    String text;
    try (InputStream in =
        LabelledPrompts.class.getClassLoader().getResourceAsStream(HELD_OUT_RESOURCE)) {
      assertNotNull(in, HELD_OUT_RESOURCE);
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    LabelledPrompts data = LabelledPrompts.parse(HELD_OUT_RESOURCE, text, names);
    Map<String, Integer> counts = new HashMap<>();
    Set<String> prompts = new HashSet<>();
    for (LabelledPrompts.Item item : data.items()) {
      counts.merge(item.category(), 1, Integer::sum);
      assertFalse(examples.contains(item.prompt().toLowerCase()), "copied: " + item.prompt());
      assertTrue(prompts.add(item.prompt().toLowerCase()), "duplicate: " + item.prompt());
    }
    for (String name : names) {
      assertEquals(20, counts.getOrDefault(name, 0), name + " has " + counts.get(name));
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"prompt\": \"hi\"}|d.jsonl:2: category: a string",
        "{\"category\": \"chat\"}|d.jsonl:2: prompt: a non-empty string",
        "{\"prompt\": \"hi\", \"category\": \"law\"}|d.jsonl:2: category: 'law' is not in the config [chat, code]",
        "not json|d.jsonl:2: not JSON: ",
      })
  void badLinesNameTheFileAndLine(String line, String expected) {
    String text = "{\"prompt\": \"fix my build\", \"category\": \"code\"}\n" + line + "\n";
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> LabelledPrompts.parse("d.jsonl", text, new java.util.TreeSet<>(CATEGORIES)));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
