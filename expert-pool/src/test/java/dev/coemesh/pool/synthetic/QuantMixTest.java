package dev.coemesh.pool.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.model.GgufFile;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.TensorType;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed-type GGUF files laid out as llama.cpp's quantizer lays them out (src/llama-quant.cpp,
 * c392e50): the type of each matrix by role and layer, the fallback for rows that are not whole
 * super-blocks, and {@code general.file_type}.
 */
class QuantMixTest {
  @TempDir Path dir;

  private static TensorType type(GgufFile gguf, String name) {
    return gguf.tensor(name).type();
  }

  @Test
  void llamaCppsUseMoreBitsLayers() {
    // n_layers = 8: the first eighth (0), the last eighth (7) and every third from layer 1 (3, 6)
    StringBuilder layers = new StringBuilder();
    for (int l = 0; l < 8; l++) {
      layers.append(QuantMix.moreBits(l, 8) ? l : "");
    }
    assertEquals("0367", layers.toString());
    StringBuilder six = new StringBuilder();
    for (int l = 0; l < 6; l++) {
      six.append(QuantMix.moreBits(l, 6) ? l : "");
    }
    assertEquals("25", six.toString());
  }

  /** Rows of 256 and 512 values: every matrix in a K-quant, the output in Q6_K. */
  @Test
  void q4KMOfASuperBlockShape() throws IOException {
    ModelConfig shape = new ModelConfig(256, 512, 8, 4, 4, 300, 64, 10000f, 64, 1e-5f);
    new SyntheticModel(shape, 1).writeGguf(dir.resolve("m.gguf"), QuantMix.Q4_K_M);
    GgufFile gguf = GgufFile.read(dir.resolve("m.gguf"));
    assertEquals(15L, gguf.integer("general.file_type"));
    assertEquals(TensorType.Q6_K, type(gguf, "token_embd.weight"));
    assertEquals(TensorType.F32, type(gguf, "blk.0.attn_norm.weight"));
    for (int l = 0; l < 8; l++) {
      String p = "blk." + l + ".";
      TensorType more = l == 0 || l == 3 || l == 6 || l == 7 ? TensorType.Q6_K : TensorType.Q4_K;
      assertEquals(more, type(gguf, p + "attn_v.weight"), p);
      assertEquals(more, type(gguf, p + "ffn_down.weight"), p);
      for (String name : new String[] {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
        assertEquals(TensorType.Q4_K, type(gguf, p + name + ".weight"), p + name);
      }
    }
  }

  /**
   * The stories15M shape: rows of 288 values are not whole super-blocks, so Q4_K falls back to
   * Q5_0, Q6_K to Q8_0 (attn_v of layers 2 and 5, and the tied output); ffn_down's rows of 768 stay
   * K-quants.
   */
  @Test
  void q4KMOfTheStories15MShapeFallsBackForRowsOf288() throws IOException {
    ModelConfig shape = new ModelConfig(288, 768, 6, 6, 6, 300, 64, 10000f, 48, 1e-5f);
    new SyntheticModel(shape, 1).writeGguf(dir.resolve("m.gguf"), QuantMix.Q4_K_M);
    GgufFile gguf = GgufFile.read(dir.resolve("m.gguf"));
    assertEquals(TensorType.Q8_0, type(gguf, "token_embd.weight"));
    for (int l = 0; l < 6; l++) {
      String p = "blk." + l + ".";
      boolean more = l == 2 || l == 5;
      assertEquals(more ? TensorType.Q8_0 : TensorType.Q5_0, type(gguf, p + "attn_v.weight"));
      assertEquals(more ? TensorType.Q6_K : TensorType.Q4_K, type(gguf, p + "ffn_down.weight"));
      assertEquals(TensorType.Q5_0, type(gguf, p + "attn_q.weight"));
      assertEquals(TensorType.Q5_0, type(gguf, p + "ffn_up.weight"));
    }
  }

  @Test
  void q5KMFallsBackToQ5_1AndQ6KToQ8_0() throws IOException {
    ModelConfig shape = new ModelConfig(288, 768, 6, 6, 6, 300, 64, 10000f, 48, 1e-5f);
    new SyntheticModel(shape, 1).writeGguf(dir.resolve("m5.gguf"), QuantMix.Q5_K_M);
    GgufFile m5 = GgufFile.read(dir.resolve("m5.gguf"));
    assertEquals(17L, m5.integer("general.file_type"));
    assertEquals(TensorType.Q5_1, type(m5, "blk.0.attn_q.weight"));
    assertEquals(TensorType.Q5_K, type(m5, "blk.0.ffn_down.weight"));
    assertEquals(TensorType.Q6_K, type(m5, "blk.2.ffn_down.weight"));
    new SyntheticModel(shape, 1).writeGguf(dir.resolve("m6.gguf"), QuantMix.Q6_K);
    GgufFile m6 = GgufFile.read(dir.resolve("m6.gguf"));
    assertEquals(18L, m6.integer("general.file_type"));
    assertEquals(TensorType.Q8_0, type(m6, "blk.0.attn_q.weight"));
    assertEquals(TensorType.Q6_K, type(m6, "blk.0.ffn_down.weight"));
  }

  @Test
  void q2KRaisesAttnVAttnOutputAndFfnDownToQ3K() {
    assertEquals(TensorType.Q3_K, QuantMix.Q2_K.typeOf(QuantMix.Role.ATTN_V, 0, 8, 512, 1));
    assertEquals(TensorType.Q4_K, QuantMix.Q2_K.typeOf(QuantMix.Role.ATTN_V, 0, 8, 512, 4));
    assertEquals(TensorType.Q3_K, QuantMix.Q2_K.typeOf(QuantMix.Role.ATTN_OUTPUT, 0, 8, 512, 1));
    assertEquals(TensorType.Q3_K, QuantMix.Q2_K.typeOf(QuantMix.Role.FFN_DOWN, 5, 8, 512, 1));
    assertEquals(TensorType.Q2_K, QuantMix.Q2_K.typeOf(QuantMix.Role.ATTN_Q, 0, 8, 512, 1));
    assertEquals(TensorType.Q8_0, QuantMix.Q8_0.typeOf(QuantMix.Role.OUTPUT, 0, 8, 512, 1));
    assertEquals(TensorType.Q6_K, QuantMix.Q4_0.typeOf(QuantMix.Role.OUTPUT, 0, 8, 512, 1));
    assertEquals(TensorType.F16, QuantMix.Q4_K_M.typeOf(QuantMix.Role.ATTN_Q, 0, 8, 100, 1));
  }

  @Test
  void anUnknownMixIsNamedWithTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> WriteSyntheticModel.mix("Q4_K_X"));
    assertTrue(e.getMessage().contains("Q4_K_M") && e.getMessage().contains("Q4_K_X"));
  }
}
