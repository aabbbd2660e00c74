package dev.coemesh.bench;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The model shapes the kernel benchmarks measure, by their {@code shape} parameter. */
enum BenchModel {
  /** The real stories260K checkpoint from the shared models (dim 64, hidden 172, 5 layers). */
  STORIES260K,
  /**
   * llama2.c's stories15M shape (dim 288, hidden 768, 6 layers, 6 heads, 256 positions, 32,000
   * tokens) with seeded random weights: the shared models hold no 15M checkpoint, and the kernels'
   * cost depends on the shape, not on the values.
   */
  STORIES15M;

  private static final long SYNTHETIC_SEED = 1;

  static BenchModel of(String parameter) {
    return valueOf(parameter.toUpperCase(Locale.ROOT));
  }

  /** Loads the model; fails with a one-line message naming a missing models folder or file. */
  Model load() {
    return switch (this) {
      case STORIES260K ->
          ModelLoader.load(
              SharedModels.file(SharedModels.STORIES_260K_BIN),
              SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
      case STORIES15M -> synthetic15m();
    };
  }

  /**
   * Writes the ~60 MB checkpoint to a temporary folder and loads it. The files are deleted at once:
   * F32 matrices are packed onto the heap at load, and the embedding's mapping outlives the file.
   */
  private static Model synthetic15m() {
    try {
      Path dir = Files.createTempDirectory("mesh-bench-15m");
      Path model = dir.resolve("model.bin");
      Path tokenizer = dir.resolve("tokenizer.bin");
      try {
        new SyntheticModel(SyntheticModel.STORIES_15M, SYNTHETIC_SEED)
            .writeLlama2c(model, tokenizer);
        return ModelLoader.load(model, tokenizer);
      } finally {
        Files.deleteIfExists(model);
        Files.deleteIfExists(tokenizer);
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the synthetic stories15M model", e);
    }
  }
}
