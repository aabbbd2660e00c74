package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a model file of either supported format, chosen by its first bytes. */
public final class ModelLoader {
  private ModelLoader() {}

  /**
   * @param tokenizer the llama2.c tokenizer file; required for {@code .bin}, ignored for GGUF
   *     (which carries its vocabulary)
   */
  public static Model load(Path model, Path tokenizer) {
    if (!Files.isRegularFile(model)) {
      throw new MeshException(ErrorCode.MODEL_FILE_INVALID, "model file not found: " + model);
    }
    if (isGguf(model)) {
      return GgufLoader.load(model);
    }
    Path tok = tokenizer != null ? tokenizer : model.resolveSibling("tokenizer.bin");
    if (!Files.isRegularFile(tok)) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID,
          "llama2.c model " + model + " needs its tokenizer file (--tokenizer); not found: " + tok);
    }
    return Llama2cLoader.load(model, tok);
  }

  private static boolean isGguf(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4
          && magic[0] == 'G'
          && magic[1] == 'G'
          && magic[2] == 'U'
          && magic[3] == 'F';
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
