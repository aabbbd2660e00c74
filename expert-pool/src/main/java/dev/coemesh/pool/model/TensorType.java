package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;

/**
 * Weight encodings the engine computes with. Quantized types are stored in blocks of {@link
 * #blockElements} values taking {@link #blockBytes} bytes (ggml layout, decoded in {@link
 * QuantBlocks}). The K-quants pack 256 values in a super-block of sub-blocks with quantized scales;
 * llama.cpp's quantizer falls back to the 32-value types for rows that are not whole super-blocks.
 */
public enum TensorType {
  F32(0, 1, 4),
  F16(1, 1, 2),
  /** ggml Q4_0: per 32 values an f16 scale d, then 16 bytes; low nibbles are values 0..15. */
  Q4_0(2, 32, 18),
  /** ggml Q4_1: per 32 values f16 d and min m, then 16 bytes of nibbles q: {@code q*d + m}. */
  Q4_1(3, 32, 20),
  /**
   * ggml Q5_0: per 32 values f16 d, 4 bytes of fifth bits, 16 bytes of nibbles: {@code (q-16)*d}.
   */
  Q5_0(6, 32, 22),
  /**
   * ggml Q5_1: per 32 values f16 d and m, 4 bytes of fifth bits, 16 of nibbles: {@code q*d + m}.
   */
  Q5_1(7, 32, 24),
  /** ggml Q8_0: per 32 values an f16 scale d, then 32 signed bytes. */
  Q8_0(8, 32, 34),
  /** ggml Q2_K: 16 bytes of 4-bit scale/min pairs, 64 of 2-bit quants, f16 d and dmin. */
  Q2_K(10, 256, 84),
  /** ggml Q3_K: 32 bytes of high bits, 64 of 2-bit quants, 12 of 6-bit scales, f16 d. */
  Q3_K(11, 256, 110),
  /** ggml Q4_K: f16 d and dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
  Q4_K(12, 256, 144),
  /** ggml Q5_K: as Q4_K with 32 bytes of fifth bits before the nibbles. */
  Q5_K(13, 256, 176),
  /** ggml Q6_K: 128 bytes of low nibbles, 64 of 2-bit highs, 16 signed 8-bit scales, f16 d. */
  Q6_K(14, 256, 210),
  BF16(30, 1, 2);

  private final int ggmlId;
  private final int blockElements;
  private final int blockBytes;

  TensorType(int ggmlId, int blockElements, int blockBytes) {
    this.ggmlId = ggmlId;
    this.blockElements = blockElements;
    this.blockBytes = blockBytes;
  }

  public int ggmlId() {
    return ggmlId;
  }

  public int blockElements() {
    return blockElements;
  }

  public int blockBytes() {
    return blockBytes;
  }

  /** Bytes of {@code elements} values; they must fill whole blocks. */
  public long bytesFor(long elements) {
    if (elements % blockElements != 0) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID,
          name()
              + " tensor of "
              + elements
              + " elements is not a whole number of "
              + blockElements
              + "-value blocks");
    }
    return elements / blockElements * blockBytes;
  }

  /** The type of a GGUF tensor; any other ggml type is an error naming it. */
  public static TensorType fromGgml(int id) {
    for (TensorType type : values()) {
      if (type.ggmlId == id) {
        return type;
      }
    }
    throw new MeshException(
        ErrorCode.MODEL_FILE_INVALID,
        "unsupported GGUF tensor type "
            + ggmlName(id)
            + " (id "
            + id
            + "); supported: "
            + java.util.Arrays.toString(values()));
  }

  private static String ggmlName(int id) {
    String[] names = {
      "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K",
      "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",
      "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"
    };
    return id >= 0 && id < names.length ? names[id] : "#" + id;
  }
}
