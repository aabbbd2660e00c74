package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.model.TensorType;

/**
 * A GGUF file type as llama.cpp's {@code llama-quantize} writes it: which tensor type each matrix
 * of a Llama model gets for a mix such as Q4_K_M. The rules are facts read from llama.cpp's {@code
 * src/llama-quant.cpp} (commit c392e50, {@code llama_tensor_get_type}), for a dense Llama model
 * without experts; the file type ids are its {@code llama_ftype} values (include/llama.h), written
 * as {@code general.file_type}. Norms and other 1-d tensors stay F32 in every mix. Checked on
 * 2026-12-07: for the stories15M shape (Q4_K_M, Q5_K_M, Q6_K, Q8_0) and a 256-wide shape with
 * grouped-query attention (Q2_K, Q3_K_M, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q4_0, Q5_1), the
 * type of every tensor equals that of {@code llama-quantize} run on our F32 file.
 *
 * <ul>
 *   <li>The output matrix (the token embedding when it is tied, as in our synthetic models) gets
 *       Q6_K, or Q8_0 when its rows are not whole blocks of the mix's type or the mix is Q8_0.
 *   <li>Q4_K_M and Q5_K_M give attn_v and ffn_down Q6_K in the layers where {@link #moreBits} holds
 *       (the first and last eighth and every third in between); Q4_K_S gives attn_v Q5_K in the
 *       first four layers and ffn_down Q5_K in the first eighth; Q3_K_M and Q2_K raise attn_v,
 *       attn_output and ffn_down as in {@link #typeOf}.
 *   <li>A matrix whose rows are not whole 256-value super-blocks falls back: Q2_K, Q3_K and Q4_K to
 *       Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, and to F16 when its rows are not whole 32-value blocks
 *       either. The stories15M shape (dim 288) hits this for every matrix but ffn_down.
 * </ul>
 */
public enum QuantMix {
  F32(0, TensorType.F32),
  F16(1, TensorType.F16),
  BF16(32, TensorType.BF16),
  Q4_0(2, TensorType.Q4_0),
  Q4_1(3, TensorType.Q4_1),
  Q8_0(7, TensorType.Q8_0),
  Q5_0(8, TensorType.Q5_0),
  Q5_1(9, TensorType.Q5_1),
  Q2_K(10, TensorType.Q2_K),
  Q3_K_M(12, TensorType.Q3_K),
  Q4_K_S(14, TensorType.Q4_K),
  Q4_K_M(15, TensorType.Q4_K),
  Q5_K_S(16, TensorType.Q5_K),
  Q5_K_M(17, TensorType.Q5_K),
  Q6_K(18, TensorType.Q6_K);

  /** A matrix's place in the model, which is what the mix's rules look at. */
  public enum Role {
    /** The output projection, or the token embedding when it also serves as the output. */
    OUTPUT,
    /** The token embedding of a model with a separate output matrix. */
    TOKEN_EMBEDDING,
    ATTN_Q,
    ATTN_K,
    ATTN_V,
    ATTN_OUTPUT,
    FFN_GATE,
    FFN_UP,
    FFN_DOWN
  }

  private final int fileType;
  private final TensorType base;

  QuantMix(int fileType, TensorType base) {
    this.fileType = fileType;
    this.base = base;
  }

  /** llama.cpp's {@code llama_ftype} id, the {@code general.file_type} of such a file. */
  public int fileType() {
    return fileType;
  }

  /** The type most matrices get. */
  public TensorType base() {
    return base;
  }

  /** llama.cpp's {@code use_more_bits}: the layers that get more bits in the _M mixes. */
  static boolean moreBits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
  }

  /**
   * The type of a matrix of {@code cols}-value rows in {@code role} at {@code layer} of {@code
   * layers}, for a model whose query heads share each KV head in groups of {@code gqa}.
   */
  public TensorType typeOf(Role role, int layer, int layers, int cols, int gqa) {
    if (base.blockElements() == 1) {
      return base; // float files keep every matrix in their type
    }
    TensorType type = base;
    switch (role) {
      case OUTPUT ->
          type =
              cols % base.blockElements() != 0 || base == TensorType.Q8_0
                  ? TensorType.Q8_0
                  : TensorType.Q6_K;
      case ATTN_V -> {
        switch (this) {
          case Q2_K -> type = gqa >= 4 ? TensorType.Q4_K : TensorType.Q3_K;
          case Q3_K_M -> type = layer < 2 ? TensorType.Q5_K : TensorType.Q4_K;
          case Q4_K_M, Q5_K_M -> type = moreBits(layer, layers) ? TensorType.Q6_K : base;
          case Q4_K_S -> type = layer < 4 ? TensorType.Q5_K : base;
          default -> {}
        }
      }
      case FFN_DOWN -> {
        switch (this) {
          case Q2_K -> type = TensorType.Q3_K;
          case Q3_K_M -> type = layer < layers / 16 ? TensorType.Q5_K : TensorType.Q4_K;
          case Q4_K_M, Q5_K_M -> type = moreBits(layer, layers) ? TensorType.Q6_K : base;
          case Q4_K_S -> type = layer < layers / 8 ? TensorType.Q5_K : base;
          default -> {}
        }
      }
      case ATTN_OUTPUT -> {
        switch (this) {
          case Q2_K -> type = TensorType.Q3_K;
          case Q3_K_M -> type = TensorType.Q4_K;
          default -> {}
        }
      }
      case TOKEN_EMBEDDING, ATTN_Q, ATTN_K, FFN_GATE, FFN_UP -> {}
    }
    return fallback(type, cols);
  }

  /** llama.cpp's fallback for rows that are not whole blocks of the chosen type. */
  private static TensorType fallback(TensorType type, int cols) {
    if (cols % type.blockElements() == 0) {
      return type;
    }
    TensorType smaller =
        switch (type) {
          case Q2_K, Q3_K, Q4_K -> TensorType.Q5_0;
          case Q5_K -> TensorType.Q5_1;
          case Q6_K -> TensorType.Q8_0;
          default ->
              throw new IllegalArgumentException(
                  "rows of " + cols + " values are not whole " + type + " blocks");
        };
    return cols % smaller.blockElements() == 0 ? smaller : TensorType.F16;
  }
}
