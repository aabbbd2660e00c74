package dev.coemesh.pool.synthetic;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Synthetic models named in configs as {@code synthetic:SHAPE} ({@code synthetic:stories15M}, or
 * {@code synthetic:stories15M-2k} with 2048 positions instead of 256): written once as a Q8_0 GGUF
 * (with its vocabulary) into a cache folder and reused by later starts. They stand in for bigger
 * experts locally: real size and speed, random text.
 */
public final class SyntheticModels {
  /** The prefix of a synthetic model name. */
  public static final String PREFIX = "synthetic:";

  /**
   * Where processes on one machine (the gateway, workers) write and find {@code synthetic:SHAPE}
   * models: the file is deterministic, so all of them load the same weights (same fingerprint).
   */
  public static final Path DEFAULT_CACHE =
      Path.of(System.getProperty("java.io.tmpdir"), "coemesh-synthetic-models");

  private static final Map<String, ModelConfig> SHAPES =
      Map.of(
          "stories15M", SyntheticModel.STORIES_15M,
          "stories15M-2k", SyntheticModel.STORIES_15M_2K);
  private static final long SEED = 42;

  private SyntheticModels() {}

  public static boolean isSynthetic(String model) {
    return model.startsWith(PREFIX);
  }

  /** The GGUF file of {@code synthetic:SHAPE} in {@code cache}, written first if missing. */
  public static Path materialize(String model, Path cache) {
    String shape = model.substring(PREFIX.length());
    ModelConfig config = SHAPES.get(shape);
    if (config == null) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID,
          "unknown synthetic model shape '" + shape + "' (known: " + SHAPES.keySet() + ")");
    }
    Path file = cache.resolve("synthetic-" + shape + "-seed" + SEED + "-q8_0.gguf");
    if (Files.exists(file)) {
      return file;
    }
    try {
      Files.createDirectories(cache);
      // written aside and moved, so a concurrent start never loads half a file
      Path partial = Files.createTempFile(cache, file.getFileName().toString(), ".partial");
      try {
        new SyntheticModel(config, SEED).writeGguf(partial, TensorType.Q8_0);
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(partial);
      }
      return file;
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID,
          "cannot write synthetic model " + file + ": " + e.getMessage(),
          e);
    }
  }
}
