package dev.coemesh.pool.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.model.GgufFile;
import dev.coemesh.pool.model.GgufFile.TensorInfo;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.model.RopeStyle;
import dev.coemesh.pool.model.TensorType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code ./mesh quantize}: a synthetic F32 model whose FFN width (72) is not whole 32-value blocks,
 * so {@code ffn_down} has rows that Q8_0 cannot hold, with a chat template among its metadata.
 */
class GgufQuantizerTest {
  private static final ModelConfig CONFIG =
      new ModelConfig(64, 72, 2, 4, 2, 400, 64, 10000f, 16, 1e-5f, RopeStyle.ADJACENT_PAIRS);
  private static final ChatMetadata CHAT =
      new ChatMetadata(
          "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}", List.of());

  private static Path f32Model(Path dir) throws IOException {
    Path file = dir.resolve("f32.gguf");
    new SyntheticModel(CONFIG, 3).writeGguf(file, TensorType.F32, CHAT);
    return file;
  }

  private static byte[] bytes(MemorySegment segment) {
    return segment.toArray(ValueLayout.JAVA_BYTE);
  }

  private static float[] floats(TensorInfo t) {
    float[] values = new float[Math.toIntExact(t.elements())];
    ByteBuffer.wrap(bytes(t.data())).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  @Test
  void reencodesWholeBlockMatricesAndKeepsTheRest(@TempDir Path dir) throws IOException {
    Path in = f32Model(dir);
    Path out = dir.resolve("q8.gguf");
    GgufQuantizer.Result result = GgufQuantizer.quantize(in, out, TensorType.Q8_0);

    GgufFile before = GgufFile.read(in);
    GgufFile after = GgufFile.read(out);
    assertEquals(List.copyOf(before.tensors().keySet()), List.copyOf(after.tensors().keySet()));
    int converted = 0;
    for (TensorInfo t : before.tensors().values()) {
      TensorInfo q = after.tensor(t.name());
      assertArrayEquals(t.dims(), q.dims(), t.name());
      if (t.dims().length == 2 && t.dims()[0] % 32 == 0) {
        assertEquals(TensorType.Q8_0, q.type(), t.name());
        assertArrayEquals(Quantizer.encode(floats(t), TensorType.Q8_0), bytes(q.data()), t.name());
        converted++;
      } else {
        assertEquals(TensorType.F32, q.type(), t.name());
        assertArrayEquals(bytes(t.data()), bytes(q.data()), t.name());
      }
    }
    assertEquals(converted, result.converted());
    assertEquals(
        List.of(
            "blk.0.ffn_down.weight stays F32: its rows of 72 values are not whole 32-value Q8_0"
                + " blocks",
            "blk.1.ffn_down.weight stays F32: its rows of 72 values are not whole 32-value Q8_0"
                + " blocks"),
        result.kept());
  }

  @Test
  void copiesEveryMetadataPairAndAddsTheFileType(@TempDir Path dir) throws IOException {
    Path in = f32Model(dir);
    Path out = dir.resolve("q4.gguf");
    GgufQuantizer.quantize(in, out, TensorType.Q4_0);

    Map<String, MemorySegment> before = GgufFile.read(in).encodedMetadata();
    GgufFile after = GgufFile.read(out);
    Map<String, MemorySegment> copied = after.encodedMetadata();
    assertEquals(
        List.copyOf(before.keySet()),
        List.copyOf(copied.keySet()).subList(0, before.size()),
        "the input's keys, in order, then general.file_type");
    assertEquals(before.size() + 1, copied.size());
    for (Map.Entry<String, MemorySegment> e : before.entrySet()) {
      assertArrayEquals(bytes(e.getValue()), bytes(copied.get(e.getKey())), e.getKey());
    }
    assertEquals(QuantMix.Q4_0.fileType(), after.integer("general.file_type"));
    assertEquals(CHAT.template(), after.string("tokenizer.chat_template"));
  }

  @Test
  void replacesAFileTypeInItsPlace(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("mix.gguf");
    new SyntheticModel(CONFIG, 3).writeGguf(in, QuantMix.F32);
    Path out = dir.resolve("q5.gguf");
    GgufQuantizer.quantize(in, out, TensorType.Q5_1);

    GgufFile before = GgufFile.read(in);
    GgufFile after = GgufFile.read(out);
    assertEquals(0, before.integer("general.file_type"));
    assertEquals(QuantMix.Q5_1.fileType(), after.integer("general.file_type"));
    assertEquals(List.copyOf(before.metadata().keySet()), List.copyOf(after.metadata().keySet()));
  }

  @ParameterizedTest
  @EnumSource(
      value = TensorType.class,
      names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
  void theSameInputGivesTheSameBytesAndTheFileLoads(TensorType type, @TempDir Path dir)
      throws IOException {
    Path in = f32Model(dir);
    Path first = dir.resolve("first.gguf");
    Path second = dir.resolve("second.gguf");
    GgufQuantizer.quantize(in, first, type);
    GgufQuantizer.quantize(in, second, type);
    assertEquals(-1, Files.mismatch(first, second));

    Model model = ModelLoader.load(first, null);
    assertEquals(CONFIG, model.config());
  }

  @Test
  void refusesAQuantizedInputAndItsOwnInputAsOutput(@TempDir Path dir) throws IOException {
    Path in = f32Model(dir);
    Path q8 = dir.resolve("q8.gguf");
    GgufQuantizer.quantize(in, q8, TensorType.Q8_0);
    IllegalArgumentException requantize =
        assertThrows(
            IllegalArgumentException.class,
            () -> GgufQuantizer.quantize(q8, dir.resolve("q4.gguf"), TensorType.Q4_0));
    assertTrue(requantize.getMessage().contains("is already Q8_0"), requantize.getMessage());
    IllegalArgumentException same =
        assertThrows(
            IllegalArgumentException.class, () -> GgufQuantizer.quantize(in, in, TensorType.Q8_0));
    assertTrue(same.getMessage().contains("--out must differ"), same.getMessage());
  }
}
