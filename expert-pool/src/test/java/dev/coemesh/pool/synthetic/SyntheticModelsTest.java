package dev.coemesh.pool.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelsTest {

  @Test
  void aSyntheticNameIsWrittenOnceAndLoadsWithItsShape(@TempDir Path cache) throws Exception {
    Path file = SyntheticModels.materialize("synthetic:stories15M", cache);
    long written = Files.getLastModifiedTime(file).toMillis();
    assertEquals(file, SyntheticModels.materialize("synthetic:stories15M", cache));
    assertEquals(written, Files.getLastModifiedTime(file).toMillis(), "reused, not rewritten");
    try (var files = Files.list(cache)) {
      assertEquals(2, files.count(), "the model and its digest, no partial file left");
    }
    Model model = ModelLoader.load(file, null);
    assertEquals(288, model.config().dim());
    assertEquals(32000, model.config().vocabSize());
    assertTrue(model.tokenizer().encode("hello", true).length > 0);
  }

  @Test
  void aCorruptOrPlantedFileIsWrittenAgainNotLoaded(@TempDir Path cache) throws Exception {
    Path file = SyntheticModels.materialize("synthetic:stories15M", cache);
    byte[] good = Files.readAllBytes(file);
    // truncated: the digest no longer matches
    Files.write(file, java.util.Arrays.copyOf(good, good.length / 2));
    assertEquals(file, SyntheticModels.materialize("synthetic:stories15M", cache));
    assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(file)), "rewritten");
    // planted without a digest beside it
    Files.delete(file.resolveSibling(file.getFileName() + ".sha256"));
    Files.write(file, new byte[] {'G', 'G', 'U', 'F', 0, 0});
    SyntheticModels.materialize("synthetic:stories15M", cache);
    assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(file)), "rewritten");
  }

  @Test
  void theDefaultCacheIsTheUsersNotASharedTemporaryFolder() {
    Path cache = SyntheticModels.DEFAULT_CACHE;
    assertTrue(!cache.startsWith(Path.of(System.getProperty("java.io.tmpdir"))), cache.toString());
    assertTrue(cache.endsWith(Path.of("coemesh", "synthetic-models")), cache.toString());
  }

  @Test
  void theLongContextShapeIsStories15MWith2048Positions(@TempDir Path cache) {
    Model model =
        ModelLoader.load(SyntheticModels.materialize("synthetic:stories15M-2k", cache), null);
    assertEquals(SyntheticModel.STORIES_15M.dim(), model.config().dim());
    assertEquals(SyntheticModel.STORIES_15M.layers(), model.config().layers());
    assertEquals(2048, model.config().contextLength());
  }

  @Test
  void anUnknownShapeIsAConfigError(@TempDir Path cache) {
    MeshException e =
        assertThrows(
            MeshException.class, () -> SyntheticModels.materialize("synthetic:gpt5", cache));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains("stories15M"), e.getMessage());
  }
}
