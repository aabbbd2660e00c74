package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.synthetic.Quantizer;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantized matmul equals the product of its dequantized (F32) weights with the inputs within
 * float rounding of the sum: {@code |y - exact| <= cols * 2^-23 * sum_k |w_k x_k|}, exact being the
 * double-precision product of the dequantized weights. That is a bound on summing {@code cols}
 * float products in any order; the kernels multiply dequantized weights with f32 inputs exactly as
 * they are, without llama.cpp's Q8_0/Q8_K rounding of the inputs. And each input's outputs are
 * bit-identical whatever the batch size (batch 1 runs {@link FusedKernels} where they apply, larger
 * batches a dequantized row) and however the rows are split between workers.
 */
class QuantizedMatmulTest {

  @ParameterizedTest
  @EnumSource(
      names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
  void agreesWithTheDequantizedProductAndIsBatchInvariant(TensorType type) {
    int rows = 37;
    int cols = 512;
    SplittableRandom random = new SplittableRandom(type.ordinal());
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * 0.05);
    }
    Weight w =
        new Weight("w", type, rows, cols, MemorySegment.ofArray(Quantizer.encode(values, type)));
    float[] dequantized = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      w.readRow(r, dequantized, r * cols);
    }
    int maxBatch = 11;
    int xStride = cols + 5;
    float[] x = new float[maxBatch * xStride];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    // run both paths (batch 1 and batched) often enough that the JIT compiles them first: the
    // compiled code must give the bits the interpreter gives, and the checks below see it
    float[] warm = new float[maxBatch * (rows + 3)];
    for (int i = 0; i < 300; i++) {
      Kernels.matmul(w, x, xStride, 1 + i % 4, warm, rows + 3, 0, rows);
    }
    float[][] alone = new float[maxBatch][rows];
    for (int b = 0; b < maxBatch; b++) {
      float[] xb = new float[cols];
      System.arraycopy(x, b * xStride, xb, 0, cols);
      Kernels.matmul(w, xb, cols, 1, alone[b], rows, 0, rows);
      for (int r = 0; r < rows; r++) {
        double exact = 0;
        double magnitude = 0;
        for (int k = 0; k < cols; k++) {
          double term = (double) dequantized[r * cols + k] * xb[k];
          exact += term;
          magnitude += Math.abs(term);
        }
        double bound = cols * Math.ulp(1f) * magnitude;
        assertTrue(
            Math.abs(alone[b][r] - exact) <= bound,
            type + " row " + r + ": " + alone[b][r] + " vs " + exact + " (bound " + bound + ")");
      }
    }
    int split = 2 * Kernels.PANEL;
    for (int batch = 1; batch <= maxBatch; batch++) {
      int outStride = rows + 3;
      float[] out = new float[batch * outStride];
      Kernels.matmul(w, x, xStride, batch, out, outStride, 0, split);
      Kernels.matmul(w, x, xStride, batch, out, outStride, split, rows);
      for (int b = 0; b < batch; b++) {
        for (int r = 0; r < rows; r++) {
          assertEquals(
              Float.floatToRawIntBits(alone[b][r]),
              Float.floatToRawIntBits(out[b * outStride + r]),
              type + " batch " + batch + " input " + b + " row " + r);
        }
      }
    }
  }
}
