package dev.coemesh.pool.synthetic;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.TensorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Synthetic models named in configs as {@code synthetic:SHAPE} ({@code synthetic:stories15M}, or
 * {@code synthetic:stories15M-2k} with 2048 positions instead of 256): written once as a Q8_0 GGUF
 * (with its vocabulary) into a cache folder and reused by later starts. They stand in for bigger
 * experts locally: real size and speed, random text.
 *
 * <p>The cache is the user's own ({@code $XDG_CACHE_HOME/coemesh} or {@code ~/.cache/coemesh}, made
 * readable by its owner only), not a shared temporary folder. Each file is written with its SHA-256
 * beside it and checked against it before use, so a truncated or altered file is written again
 * rather than loaded.
 */
public final class SyntheticModels {
  /** The prefix of a synthetic model name. */
  public static final String PREFIX = "synthetic:";

  /**
   * Where processes on one machine (the gateway, workers) write and find {@code synthetic:SHAPE}
   * models: the file is deterministic, so all of them load the same weights (same fingerprint).
   */
  public static final Path DEFAULT_CACHE = userCache().resolve("synthetic-models");

  private static final Map<String, ModelConfig> SHAPES =
      Map.of(
          "stories15M", SyntheticModel.STORIES_15M,
          "stories15M-2k", SyntheticModel.STORIES_15M_2K);
  private static final long SEED = 42;

  private SyntheticModels() {}

  /**
   * The user's cache folder for coemesh: {@code $XDG_CACHE_HOME/coemesh}, else {@code
   * ~/.cache/coemesh}.
   */
  static Path userCache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("coemesh");
  }

  /**
   * Creates {@code dir} readable and writable by its owner only, where the file system allows it.
   */
  private static void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createDirectories(dir);
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

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
    Path digest = file.resolveSibling(file.getFileName() + ".sha256");
    try {
      if (Files.exists(file)
          && Files.exists(digest)
          && Files.readString(digest).strip().equals(sha256(file))) {
        return file;
      }
      createPrivateDirectories(cache);
      // written aside and moved, so a concurrent start never loads half a file
      Path partial = Files.createTempFile(cache, file.getFileName().toString(), ".partial");
      Path partialDigest = Files.createTempFile(cache, digest.getFileName().toString(), ".partial");
      try {
        new SyntheticModel(config, SEED).writeGguf(partial, TensorType.Q8_0);
        Files.writeString(partialDigest, sha256(partial) + "\n");
        Files.move(
            partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(
            partialDigest,
            digest,
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(partial);
        Files.deleteIfExists(partialDigest);
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
