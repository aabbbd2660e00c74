package dev.coemesh.core.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared model folder. The repository never holds weights: they live in {@code
 * ../shared/models} beside the checkout unless {@code MESH_MODELS_DIR} (environment) or {@code
 * mesh.models.dir} (system property) names another folder.
 */
public final class SharedModels {
  public static final String ENV = "MESH_MODELS_DIR";
  public static final String PROPERTY = "mesh.models.dir";

  /** The default expert's weights: Karpathy's stories260K (MIT), a trained Llama-2 model. */
  public static final String STORIES_260K_BIN = "stories260K.bin";

  public static final String STORIES_260K_TOKENIZER = "tok512.bin";
  public static final String STORIES_260K_GGUF = "stories260Ktok512.gguf";

  private SharedModels() {}

  /** The models folder; throws a one-line {@code MODEL_FILE_INVALID} error when it is absent. */
  public static Path dir() {
    String configured = System.getProperty(PROPERTY);
    if (configured == null || configured.isBlank()) {
      configured = System.getenv(ENV);
    }
    Path dir =
        configured == null || configured.isBlank()
            ? Path.of("..", "shared", "models")
            : Path.of(configured);
    if (!Files.isDirectory(dir)) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID,
          "model folder not found: "
              + dir.toAbsolutePath().normalize()
              + " (put the shared models beside the checkout as ../shared/models, or set "
              + ENV
              + ")");
    }
    return dir;
  }

  /** A file in the models folder; throws a one-line error naming it when it is absent. */
  public static Path file(String name) {
    Path file = dir().resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID,
          "model file not found: " + file.toAbsolutePath().normalize());
    }
    return file;
  }
}
