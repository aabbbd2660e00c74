package dev.coemesh.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpertModelTest {
  private static final RoutingConfig DEFAULT = RoutingConfigLoader.loadDefault();

  @Test
  void theDefaultConfigsCoderServesStories260k() throws Exception {
    ExpertModel m = ExpertModel.forExpert(DEFAULT, "coder");
    assertEquals(SharedModels.file(SharedModels.STORIES_260K_BIN), m.model());
    assertEquals(SharedModels.file(SharedModels.STORIES_260K_TOKENIZER), m.tokenizer());
  }

  @Test
  void aSyntheticExpertIsWrittenAndHasNoTokenizerFile() throws Exception {
    ExpertModel m = ExpertModel.forExpert(DEFAULT, "math-large");
    assertTrue(Files.isRegularFile(m.model()), m.model().toString());
    assertNull(m.tokenizer());
  }

  @Test
  void anUnknownExpertNamesTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ExpertModel.forExpert(DEFAULT, "nosuch"));
    assertTrue(e.getMessage().contains("known: stories, coder"), e.getMessage());
  }

  @Test
  void anUpstreamExpertNeedsAModelFile(@TempDir Path dir) throws Exception {
    String yaml =
        Files.readString(Path.of("../router/src/main/resources/routing/default-routing.yaml"));
    String upstream =
        yaml.replaceFirst(
            "name: stories\\n    source: \\{type: embedded, model: stories260K.bin, tokenizer:"
                + " tok512.bin\\}",
            "name: stories\n    source: {type: upstream, url: \"http://127.0.0.1:8000/v1\", model: m}");
    Path routing = dir.resolve("r.yaml");
    Files.writeString(routing, upstream);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpertModel.forExpert(RoutingConfigLoader.load(routing), "stories"));
    assertTrue(e.getMessage().contains("--model"), e.getMessage());
  }
}
