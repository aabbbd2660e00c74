package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.synthetic.QuantMix;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ModelFilesTest {
  private static final ModelConfig SMALL =
      new ModelConfig(64, 96, 2, 4, 2, 300, 64, 10000f, 16, 1e-5f);

  @TempDir Path dir;

  private static float[] logitsAfter(Model model, int... tokens) {
    try (LlamaEngine engine =
        new LlamaEngine(model, EngineOptions.defaults().withThreads(1).withKvBlocks(8))) {
      int s = engine.newSequence();
      return engine.step(new int[] {s}, new int[][] {tokens})[0];
    }
  }

  @Test
  void syntheticBinAndF32GgufAreTheSameModel() throws IOException {
    SyntheticModel synthetic = new SyntheticModel(SMALL, 7);
    synthetic.writeLlama2c(dir.resolve("m.bin"), dir.resolve("t.bin"));
    synthetic.writeGguf(dir.resolve("m.gguf"), TensorType.F32);
    Model bin = ModelLoader.load(dir.resolve("m.bin"), dir.resolve("t.bin"));
    Model gguf = ModelLoader.load(dir.resolve("m.gguf"), null);
    assertEquals(bin.config(), gguf.config());
    assertArrayEquals(
        logitsAfter(bin, 1, 260, 270, 280), logitsAfter(gguf, 1, 260, 270, 280), 1e-5f);
    assertArrayEquals(
        bin.tokenizer().encode("hello world", true), gguf.tokenizer().encode("hello world", true));
  }

  /** Each quantized type reproduces the F32 logits within its precision. */
  @ParameterizedTest
  @CsvSource({
    "F16, 0.002",
    "BF16, 0.02",
    "Q8_0, 0.02",
    "Q4_0, 0.2",
    "Q4_1, 0.2",
    "Q5_0, 0.1",
    "Q5_1, 0.1"
  })
  void quantizedTypesMatchTheF32Model(TensorType type, float tolerance) throws IOException {
    SyntheticModel synthetic = new SyntheticModel(SMALL, 11);
    synthetic.writeGguf(dir.resolve("f32.gguf"), TensorType.F32);
    synthetic.writeGguf(dir.resolve("q.gguf"), type);
    float[] reference =
        logitsAfter(ModelLoader.load(dir.resolve("f32.gguf"), null), 1, 300 - 1, 265);
    float[] quantized = logitsAfter(ModelLoader.load(dir.resolve("q.gguf"), null), 1, 300 - 1, 265);
    double maxError = 0;
    double maxAbs = 0;
    for (int i = 0; i < reference.length; i++) {
      maxError = Math.max(maxError, Math.abs(reference[i] - quantized[i]));
      maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
    }
    assertTrue(
        maxError <= tolerance * Math.max(1, maxAbs),
        type + " error " + maxError + " vs scale " + maxAbs);
    assertTrue(maxError > 0 || type == TensorType.F32);
  }

  /** Rows of 256 and 512 values, so that every matrix of a K mix is in a K-quant. */
  private static final ModelConfig SUPER_BLOCKS =
      new ModelConfig(256, 512, 2, 4, 2, 300, 64, 10000f, 64, 1e-5f);

  /** Each llama.cpp mix reproduces the F32 logits within its precision. */
  @ParameterizedTest
  @CsvSource({
    "Q6_K, 0.05",
    "Q5_K_M, 0.1",
    "Q4_K_M, 0.2",
    "Q4_K_S, 0.2",
    "Q3_K_M, 0.4",
    "Q2_K, 0.6"
  })
  void kQuantMixesMatchTheF32Model(QuantMix mix, float tolerance) throws IOException {
    SyntheticModel synthetic = new SyntheticModel(SUPER_BLOCKS, 11);
    synthetic.writeGguf(dir.resolve("f32.gguf"), TensorType.F32);
    synthetic.writeGguf(dir.resolve("q.gguf"), mix);
    float[] reference = logitsAfter(ModelLoader.load(dir.resolve("f32.gguf"), null), 1, 299, 265);
    Model model = ModelLoader.load(dir.resolve("q.gguf"), null);
    assertEquals(mix.base(), model.weights().layers().get(1).wq().type());
    float[] quantized = logitsAfter(model, 1, 299, 265);
    double maxError = 0;
    double maxAbs = 0;
    for (int i = 0; i < reference.length; i++) {
      maxError = Math.max(maxError, Math.abs(reference[i] - quantized[i]));
      maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
    }
    assertTrue(
        maxError <= tolerance * Math.max(1, maxAbs),
        mix + " error " + maxError + " vs scale " + maxAbs);
    assertTrue(maxError > 0);
  }

  /**
   * A K-quant file cut short, or whose tensor directory disagrees with its blocks, is rejected as
   * MODEL_FILE_INVALID naming the tensor: the data cut by {@code cut} bytes, or dimension {@code
   * dim} of {@code tensor} set to {@code value}.
   */
  @ParameterizedTest
  @CsvSource({
    "'', 0, 0, 1, 'is truncated: tensor blk.1.ffn_down.weight of 107520 bytes'",
    "'', 0, 0, 300, 'is truncated: tensor blk.1.ffn_down.weight'",
    "blk.0.attn_k.weight, 0, 257, 0, 'tensor blk.0.attn_k.weight: Q4_K tensor of 32896 elements is"
        + " not a whole number of 256-value blocks'",
    "blk.0.attn_q.weight, 0, 128, 0, 'tensor blk.0.attn_q.weight has dims [128, 256] of Q4_K,"
        + " expected [256, 256] in rows of whole 256-value blocks'",
    "blk.1.ffn_down.weight, 1, 128, 0, 'tensor blk.1.ffn_down.weight has dims [512, 128] of Q6_K'",
    "blk.1.ffn_down.weight, 1, 512, 0, 'is truncated: tensor blk.1.ffn_down.weight of 215040 bytes'"
  })
  void aTruncatedOrInconsistentKQuantFileNamesTheTensor(
      String tensor, int dim, long value, int cut, String message) throws IOException {
    new SyntheticModel(SUPER_BLOCKS, 2).writeGguf(dir.resolve("m.gguf"), QuantMix.Q4_K_M);
    byte[] bytes = Files.readAllBytes(dir.resolve("m.gguf"));
    if (!tensor.isEmpty()) {
      int at = indexAfter(bytes, tensor) + 4 + 8 * dim; // n_dims u32, then u64 dims
      for (int i = 0; i < 8; i++) {
        bytes[at + i] = (byte) (value >>> (8 * i));
      }
    }
    Path bad = dir.resolve("bad.gguf");
    Files.write(bad, Arrays.copyOf(bytes, bytes.length - cut));
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(bad, null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void aTruncatedLlama2cFileNamesTheProblem() throws IOException {
    byte[] full = Files.readAllBytes(SharedModels.file(SharedModels.STORIES_260K_BIN));
    Path cut = dir.resolve("cut.bin");
    Files.write(cut, Arrays.copyOf(full, full.length - 1000));
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> ModelLoader.load(cut, SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("is truncated"), e.getMessage());
  }

  @Test
  void anImpossibleHeaderIsRejected() throws IOException {
    Path bad = dir.resolve("bad.bin");
    ByteBuffer b = ByteBuffer.allocate(28 + 64).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(64).putInt(172).putInt(5).putInt(7).putInt(4).putInt(512).putInt(512); // 64 % 7 != 0
    Files.write(bad, b.array());
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> ModelLoader.load(bad, SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)));
    assertTrue(e.getMessage().contains("impossible header"), e.getMessage());
  }

  @Test
  void aTruncatedGgufIsRejectedWithoutHugeAllocations() throws IOException {
    byte[] full = Files.readAllBytes(SharedModels.file(SharedModels.STORIES_260K_GGUF));
    for (int length : new int[] {3, 20, 500, 14_000, full.length - 10}) {
      Path cut = dir.resolve("cut" + length + ".gguf");
      Files.write(cut, Arrays.copyOf(full, length));
      MeshException e =
          assertThrows(MeshException.class, () -> ModelLoader.load(cut, null), "length " + length);
      assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    }
  }

  @Test
  void aCorruptArrayLengthIsRejected() throws IOException {
    byte[] full = Files.readAllBytes(SharedModels.file(SharedModels.STORIES_260K_GGUF));
    // the tensor count (u64 at offset 8) claims far more tensors than the file could hold
    ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).putLong(8, Long.MAX_VALUE / 2);
    Path bad = dir.resolve("bad.gguf");
    Files.write(bad, full);
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(bad, null));
    assertTrue(e.getMessage().contains("impossible tensor count"), e.getMessage());
  }

  @Test
  void anUnsupportedTensorTypeIsNamed() throws IOException {
    new SyntheticModel(SMALL, 1).writeGguf(dir.resolve("m.gguf"), TensorType.Q8_0);
    byte[] bytes = Files.readAllBytes(dir.resolve("m.gguf"));
    GgufFile parsed = GgufFile.read(dir.resolve("m.gguf"));
    long q8Offset = indexOfTypeField(bytes, parsed);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt((int) q8Offset, 16); // IQ2_XXS
    Files.write(dir.resolve("k.gguf"), bytes);
    MeshException e =
        assertThrows(MeshException.class, () -> ModelLoader.load(dir.resolve("k.gguf"), null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("IQ2_XXS (id 16)"), e.getMessage());
    assertTrue(e.getMessage().contains("Q4_K, Q5_K, Q6_K"), e.getMessage()); // the supported list
  }

  /**
   * Fields a corrupt GGUF could hold that the loader must check before trusting them: each named by
   * the key or tensor name it follows, the bytes after that name, and its width.
   */
  @ParameterizedTest
  @CsvSource({
    "llama.feed_forward_length, 4, 4, 2147483648, 'feed_forward_length 2147483648, beyond 32 bits'",
    "llama.block_count, 4, 4, 2147483647, 'has 2147483647 blocks but only 48 tensors'",
    "tokenizer.ggml.bos_token_id, 4, 4, 512, 'bos_token_id 512 outside its vocabulary of 512'",
    "blk.0.ffn_down.weight, 20, 4, 2, 'of Q4_0, expected [172, 64] in rows of whole 32-value blocks'",
    "output_norm.weight, 16, 8, 9223372036854775807, 'at data offset 9223372036854775807 lies beyond'"
  })
  void corruptGgufFieldsAreRejectedNamingTheProblem(
      String after, int skip, int width, long value, String message) throws IOException {
    byte[] bytes = Files.readAllBytes(SharedModels.file(SharedModels.STORIES_260K_GGUF));
    int at = indexAfter(bytes, after) + skip;
    for (int i = 0; i < width; i++) {
      bytes[at + i] = (byte) (value >>> (8 * i));
    }
    Path bad = dir.resolve("bad.gguf");
    Files.write(bad, bytes);
    MeshException e = assertThrows(MeshException.class, () -> ModelLoader.load(bad, null));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  /** A header whose products wrap around 2^64 to exactly the file's size (393,244 bytes). */
  @Test
  void aLlama2cHeaderWhoseShapeOverflowsIsRejected() throws IOException {
    Path bad = dir.resolve("overflow.bin");
    ByteBuffer b = ByteBuffer.allocate(393_244).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(1 << 15).putInt(43_690).putInt(1 << 30).putInt(1).putInt(1).putInt(1).putInt(1);
    Files.write(bad, b.array());
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> ModelLoader.load(bad, SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("more than 2^63 bytes"), e.getMessage());
  }

  private static int indexAfter(byte[] bytes, String text) {
    byte[] name = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length - name.length; i++) {
      if (Arrays.equals(Arrays.copyOfRange(bytes, i, i + name.length), name)) {
        return i + name.length;
      }
    }
    throw new AssertionError(text + " not found");
  }

  /** Offset of the type field of the first tensor (token_embd), found after its name and dims. */
  private static long indexOfTypeField(byte[] bytes, GgufFile parsed) {
    byte[] name = "token_embd.weight".getBytes();
    for (int i = 0; i < bytes.length - name.length; i++) {
      if (Arrays.equals(Arrays.copyOfRange(bytes, i, i + name.length), name)) {
        return i + name.length + 4 + 2 * 8L; // n_dims u32, two u64 dims
      }
    }
    throw new AssertionError("tensor name not found");
  }

  @ParameterizedTest
  @EnumSource(TensorType.class)
  void everyTypeRoundTripsThroughTheGgufDirectory(TensorType type) throws IOException {
    new SyntheticModel(SMALL, 3).writeGguf(dir.resolve("m.gguf"), type);
    GgufFile gguf = GgufFile.read(dir.resolve("m.gguf"));
    assertEquals(type, gguf.tensor("blk.0.attn_q.weight").type());
    assertEquals(TensorType.F32, gguf.tensor("blk.0.attn_norm.weight").type());
    assertEquals(3, gguf.version());
  }
}
