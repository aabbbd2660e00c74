package dev.coemesh.pool.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpertModelTest {
  // the shipped default routing config, from expert-pool's working directory
  private static final Path DEFAULT = Path.of("..").resolve(ExpertModel.DEFAULT_ROUTING);

  @Test
  void theDefaultConfigsStoriesExpertServesStories260k() throws Exception {
    ExpertModel m = ExpertModel.forExpert(DEFAULT, "coder");
    assertEquals(SharedModels.file(SharedModels.STORIES_260K_BIN), m.model());
    assertEquals(SharedModels.file(SharedModels.STORIES_260K_TOKENIZER), m.tokenizer());
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
    Path routing = dir.resolve("r.yaml");
    Files.writeString(
        routing,
        "experts:\n  - name: big\n    source: {type: upstream, url: \"http://x:8000/v1\", model: m}\n");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ExpertModel.forExpert(routing, "big"));
    assertTrue(e.getMessage().contains("--model"), e.getMessage());
  }
}
