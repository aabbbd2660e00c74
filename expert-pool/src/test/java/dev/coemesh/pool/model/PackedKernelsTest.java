package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packed F32 matmul against a plain double-precision product, for every batch size from 1 to 19
 * (each mix of 8-input tiles, 4-input tiles and single inputs), odd and even column counts, partial
 * last panels and row ranges split at panel boundaries as the workers split them; and each input's
 * outputs bit-identical to the same input computed alone (the engine's batch invariance).
 */
class PackedKernelsTest {

  @ParameterizedTest(name = "{0}x{1}")
  @CsvSource({"64, 64", "37, 33", "50, 1", "100, 289", "130, 48", "16, 2", "200, 7"})
  void matchesAPlainProductAndIsBatchInvariant(int rows, int cols) {
    SplittableRandom random = new SplittableRandom(rows * 1000L + cols);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    MemorySegment data = MemorySegment.ofArray(new byte[values.length * 4]);
    for (int i = 0; i < values.length; i++) {
      data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, values[i]);
    }
    Weight w = new Weight("w", TensorType.F32, rows, cols, data);
    int maxBatch = 19;
    int xStride = cols + 3; // inputs need not be packed tightly
    float[] x = new float[maxBatch * xStride];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (random.nextDouble() * 2 - 1);
    }
    int outStride = rows + 5;
    float[][] alone = new float[maxBatch][rows];
    for (int b = 0; b < maxBatch; b++) {
      float[] one = new float[rows];
      float[] xb = new float[cols];
      System.arraycopy(x, b * xStride, xb, 0, cols);
      Kernels.matmul(w, xb, cols, 1, one, rows, 0, rows);
      alone[b] = one;
      for (int r = 0; r < rows; r++) {
        double expected = 0;
        for (int k = 0; k < cols; k++) {
          expected += (double) values[r * cols + k] * x[b * xStride + k];
        }
        assertEquals(expected, one[r], 1e-4, "row " + r + " input " + b);
      }
    }
    int split = Math.max(1, (rows / Kernels.PANEL) / 2) * Kernels.PANEL;
    for (int batch = 1; batch <= maxBatch; batch++) {
      float[] out = new float[batch * outStride];
      // two shares, as two workers would compute them
      Kernels.matmul(w, x, xStride, batch, out, outStride, 0, Math.min(split, rows));
      if (split < rows) {
        Kernels.matmul(w, x, xStride, batch, out, outStride, split, rows);
      }
      for (int b = 0; b < batch; b++) {
        for (int r = 0; r < rows; r++) {
          assertEquals(
              Float.floatToRawIntBits(alone[b][r]),
              Float.floatToRawIntBits(out[b * outStride + r]),
              "batch " + batch + " input " + b + " row " + r);
        }
      }
    }
  }
}
