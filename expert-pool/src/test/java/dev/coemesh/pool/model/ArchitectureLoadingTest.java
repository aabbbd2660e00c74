package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the GGUF loader takes from each architecture's files, and what it refuses by name. */
class ArchitectureLoadingTest {
  private static final ModelConfig LLAMA =
      new ModelConfig(64, 96, 2, 4, 2, 300, 64, 1e4f, 16, 1e-5f);
  private static final ModelConfig NEOX =
      new ModelConfig(64, 96, 2, 4, 2, 300, 64, 1e6f, 16, 1e-5f, RopeStyle.HALVES);

  @Test
  void qwen2LoadsWithHalvesRotaryAndQkvBiases(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("qwen2.gguf");
    new SyntheticModel(NEOX, 3).writeGguf(file, TensorType.F32, Architecture.QWEN2, null);
    Model model = ModelLoader.load(file, null);
    assertEquals(RopeStyle.HALVES, model.config().ropeStyle());
    LayerWeights layer = model.weights().layers().get(1);
    assertEquals(64, layer.qBias().length);
    assertEquals(32, layer.kBias().length);
    assertEquals(32, layer.vBias().length);
  }

  @Test
  void phi3FusedMatricesBecomeRowViewsOfTheSeparateShapes(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("phi3.gguf");
    new SyntheticModel(NEOX, 3).writeGguf(file, TensorType.F32, Architecture.PHI3, null);
    Model model = ModelLoader.load(file, null);
    LayerWeights layer = model.weights().layers().get(0);
    assertEquals(64, layer.wq().rows());
    assertEquals(32, layer.wk().rows());
    assertEquals(32, layer.wv().rows());
    assertEquals(96, layer.w1().rows());
    assertEquals(96, layer.w3().rows());
    assertNull(layer.qBias());
    // the gate is the first half of ffn_up (llama.cpp's SWIGLU split), the up matrix the second
    GgufFile.TensorInfo fused = GgufFile.read(file).tensor("blk.0.ffn_up.weight");
    Weight gateUp = new Weight("ffn_up", fused.type(), 192, 64, fused.data());
    assertArrayEquals(row(gateUp, 95), row(layer.w1(), 95));
    assertArrayEquals(row(gateUp, 96), row(layer.w3(), 0));
    GgufFile.TensorInfo qkv = GgufFile.read(file).tensor("blk.0.attn_qkv.weight");
    Weight qkvWeight = new Weight("qkv", qkv.type(), 128, 64, qkv.data());
    assertArrayEquals(row(qkvWeight, 64), row(layer.wk(), 0));
    assertArrayEquals(row(qkvWeight, 127), row(layer.wv(), 31));
    assertTrue(model.weights().output() != model.weights().tokenEmbedding());
  }

  /**
   * Phi-3 mini 4k attends over the last 2047 positions only; the engine stops at the window, where
   * every position still sees all before it, instead of computing past it differently.
   */
  @Test
  void phi3ContextStopsAtItsSlidingWindow(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("phi3-window.gguf");
    new SyntheticModel(NEOX, 3).writeGguf(file, TensorType.F32, Architecture.PHI3, null);
    assertEquals(64, ModelLoader.load(file, null).config().contextLength());
    byte[] bytes = Files.readAllBytes(file);
    // the key's value follows it: type u32 (4 = UINT32) then the window, 64, little-endian
    int value =
        indexOf(bytes, "phi3.attention.sliding_window".getBytes(StandardCharsets.UTF_8), 0)
            + "phi3.attention.sliding_window".length()
            + 4;
    assertEquals(64, bytes[value]);
    bytes[value] = 40;
    Files.write(file, bytes);
    assertEquals(40, ModelLoader.load(file, null).config().contextLength());
  }

  /**
   * Phi-3 mini 4k files from before the key: llama.cpp assumes the window, and so does the engine.
   */
  @Test
  void aPhi3MiniFileWithoutTheWindowKeyGetsTheWindowOf2047(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("phi3-mini-4k.gguf");
    ModelConfig mini =
        new ModelConfig(64, 96, 32, 4, 4, 300, 4096, 1e4f, 16, 1e-5f, RopeStyle.HALVES);
    new SyntheticModel(mini, 3).writeGguf(file, TensorType.F32, Architecture.PHI3, null);
    replaceAfter(file, "", "phi3.attention.sliding_window", "phi3.attention.sliding_windoX");
    assertEquals(2047, ModelLoader.load(file, null).config().contextLength());
  }

  @Test
  void llama31RopeFrequencyFactorsAreRead(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("llama3.gguf");
    float[] factors = SyntheticModel.llama31FreqFactors(16);
    new SyntheticModel(LLAMA, 3).writeGguf(file, TensorType.F32, Architecture.LLAMA, factors);
    float[] read = ModelLoader.load(file, null).weights().ropeFreqFactors();
    assertNotNull(read);
    assertEquals(1f, read[0]);
    assertEquals(8f, read[7]);
  }

  @Test
  void anUnsupportedArchitectureIsNamedWithTheSupportedOnes(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("gemma.gguf");
    new SyntheticModel(LLAMA, 3).writeGguf(file, TensorType.F32);
    // the value of general.architecture is the first "llama" after its key
    replaceAfter(file, "general.architecture", "llama", "gemma");
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(file, null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(
        e.getMessage().contains("unsupported architecture 'gemma'; supported: llama, qwen2, phi3"),
        e.getMessage());
  }

  /** Heads wider than embedding/heads (Gemma's, Qwen3's) would need Q wider than the model. */
  @Test
  void aHeadWidthOtherThanEmbeddingOverHeadsIsRefused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("wide-heads.gguf");
    ModelConfig partialRope = new ModelConfig(64, 96, 2, 4, 2, 300, 64, 1e4f, 8, 1e-5f);
    new SyntheticModel(partialRope, 3).writeGguf(file, TensorType.F32);
    // same length, so the value (8) now claims heads of 8 where embedding/heads is 16
    replaceAfter(file, "", "llama.rope.dimension_count", "llama.attention.key_length");
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(file, null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("llama.attention.key_length 8; supported:"), e.getMessage());
  }

  @Test
  void aTensorTheEngineWouldIgnoreIsRefusedByName(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("extra.gguf");
    new SyntheticModel(LLAMA, 3).writeGguf(file, TensorType.F32);
    replaceAfter(file, "", "blk.1.attn_v.weight", "blk.1.attn_X.weight");
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(file, null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("unsupported tensor 'blk.1.attn_X.weight'"), e.getMessage());
  }

  /**
   * Overwrites the first {@code from} after the first {@code anchor} with {@code to}, same length.
   */
  private static void replaceAfter(Path file, String anchor, String from, String to)
      throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int at =
        indexOf(
            bytes,
            from.getBytes(StandardCharsets.UTF_8),
            indexOf(bytes, anchor.getBytes(StandardCharsets.UTF_8), 0));
    byte[] replacement = to.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(replacement, 0, bytes, at, replacement.length);
    Files.write(file, bytes);
  }

  private static float[] row(Weight w, int r) {
    float[] out = new float[w.cols()];
    w.readRow(r, out, 0);
    return out;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }
}
