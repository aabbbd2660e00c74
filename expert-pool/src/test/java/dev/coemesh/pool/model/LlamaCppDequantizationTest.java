package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Dequantization of every block type is bit-identical to llama.cpp's reference {@code
 * dequantize_row_*} on fixtures captured from it (src/test/resources/kquant/README.md): sixteen
 * 256-value rows per type covering all-zero blocks, constants, lone extremes of either sign, tiny
 * values (subnormal and underflowing f16 scales), mixed-sign and one-signed random values,
 * sub-blocks of very different magnitudes, values near the f16 maximum, and two rows of random
 * block bytes (every scale, min and high-bit pattern, including ones llama.cpp's quantizer never
 * writes).
 */
class LlamaCppDequantizationTest {

  /** A fixture: the ggml type, the block bytes and llama.cpp's dequantized floats. */
  private record Fixture(int ggmlType, byte[] blocks, float[] expected) {}

  private static Fixture read(TensorType type) throws IOException {
    String name = "/kquant/" + type.name().toLowerCase() + ".bin.gz";
    try (InputStream raw = LlamaCppDequantizationTest.class.getResourceAsStream(name)) {
      if (raw == null) {
        throw new IOException("missing fixture " + name);
      }
      byte[] all = new GZIPInputStream(raw).readAllBytes();
      ByteBuffer in = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
      byte[] magic = new byte[4];
      in.get(magic);
      assertEquals("KQF1", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
      int ggmlType = in.getInt();
      int n = in.getInt();
      byte[] blocks = new byte[in.getInt()];
      in.get(blocks);
      float[] expected = new float[n];
      in.asFloatBuffer().get(expected);
      return new Fixture(ggmlType, blocks, expected);
    }
  }

  @ParameterizedTest
  @EnumSource(
      names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
  void everyValueMatchesLlamaCppToTheBit(TensorType type) throws IOException {
    Fixture f = read(type);
    assertEquals(type.ggmlId(), f.ggmlType());
    int cols = 256;
    int rows = f.expected().length / cols;
    Weight w = new Weight("fixture", type, rows, cols, MemorySegment.ofArray(f.blocks()));
    float[] row = new float[cols];
    // decoded often enough that the JIT compiles the decoders (the Vector API ones included) before
    // the checked pass: interpreted and compiled code must give the same bits
    for (int round = 0; round < 20_000; round++) {
      w.readRow(round % rows, row, 0);
    }
    for (int r = 0; r < rows; r++) {
      w.readRow(r, row, 0);
      for (int i = 0; i < cols; i++) {
        assertEquals(
            Float.floatToRawIntBits(f.expected()[r * cols + i]),
            Float.floatToRawIntBits(row[i]),
            type
                + " row "
                + r
                + " value "
                + i
                + ": "
                + f.expected()[r * cols + i]
                + " vs "
                + row[i]);
      }
    }
  }
}
