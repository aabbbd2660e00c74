package dev.coemesh.pool.tokenizer;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a llama2.c tokenizer file: int32 max token length, then per token a float32 score, an int32
 * byte length and the UTF-8 piece. The token count is the model's vocabulary size (not stored).
 */
public final class Llama2cTokenizerFile {
  private static final int BOS = 1;
  private static final int EOS = 2;

  private Llama2cTokenizerFile() {}

  public static SentencePieceTokenizer read(Path path, int vocabSize) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID, "cannot read tokenizer " + path + ": " + e.getMessage(), e);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    String[] pieces = new String[vocabSize];
    float[] scores = new float[vocabSize];
    try {
      int maxLength = in.getInt();
      for (int i = 0; i < vocabSize; i++) {
        scores[i] = in.getFloat();
        int length = in.getInt();
        if (length < 0 || length > Math.max(maxLength, 64) || length > in.remaining()) {
          throw new MeshException(
              ErrorCode.MODEL_FILE_INVALID,
              "tokenizer " + path + ": token " + i + " has impossible length " + length);
        }
        byte[] piece = new byte[length];
        in.get(piece);
        pieces[i] = new String(piece, StandardCharsets.UTF_8);
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID,
          "tokenizer "
              + path
              + " is truncated: it holds fewer than the model's "
              + vocabSize
              + " tokens");
    }
    SentencePieceTokenizer tokenizer = new SentencePieceTokenizer(pieces, scores, BOS, EOS, true);
    String gap = tokenizer.byteFallbackGap();
    if (gap != null) {
      throw new MeshException(ErrorCode.MODEL_FILE_INVALID, "tokenizer " + path + ": " + gap);
    }
    return tokenizer;
  }
}
