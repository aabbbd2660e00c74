package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector and matrix-matrix products over weights in any {@link TensorType}. For a batch of
 * inputs each weight row is read once and applied to every input (F32 weights up to eight inputs at
 * a time, see {@link PackedKernels}), which is what makes batched decode cheaper per token than
 * single decode on memory-bound CPUs.
 */
public final class Kernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final ValueLayout.OfFloat F32_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Rows per packed F32 panel (see {@link PackedKernels}): split work in whole panels. */
  public static final int PANEL = PackedKernels.PANEL;

  private Kernels() {}

  /**
   * {@code out[b*outStride + r] = W[r]·x[b*xStride ..]} for rows [rowFrom, rowTo) and b in [0,
   * batch). {@code rowFrom} must be a multiple of {@link #PANEL} (split work in whole panels).
   */
  public static void matmul(
      Weight w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int rowFrom,
      int rowTo) {
    switch (w.type()) {
      case F32 -> PackedKernels.matmul(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      case Q8_0 -> q8(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      case Q5_0, Q4_K, Q6_K -> {
        if (FusedKernels.applies(w, batch)) {
          FusedKernels.matmul(w, x, out, rowFrom, rowTo);
        } else {
          dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
        }
      }
      case F16, BF16, Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K ->
          dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
    }
  }

  private static final jdk.incubator.vector.VectorSpecies<Byte> B128 =
      jdk.incubator.vector.ByteVector.SPECIES_128;
  private static final jdk.incubator.vector.VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

  /**
   * Q8_0 straight from the mapped bytes: per 32-value block, the int8 quants are widened to floats
   * 16 at a time, multiplied with the input, and the block sum scaled by its f16 factor; on CPUs
   * without 512-bit vectors it falls back to dequantizing rows.
   */
  private static void q8(
      Weight w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int rowFrom,
      int rowTo) {
    if (FusedKernels.applies(w, batch)) {
      FusedKernels.matmul(w, x, out, rowFrom, rowTo);
      return;
    }
    if (S.length() != 16) {
      dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      return;
    }
    MemorySegment seg = w.data();
    int blocks = w.cols() / 32;
    long rowBytes = w.rowBytes();
    float[] lanes = new float[F512.length()];
    for (int r = rowFrom; r < rowTo; r++) {
      long base = r * rowBytes;
      for (int b = 0; b < batch; b++) {
        int xOff = b * xStride;
        FloatVector acc = FloatVector.zero(F512);
        for (int block = 0; block < blocks; block++) {
          long at = base + block * 34L;
          float d = Float.float16ToFloat(seg.get(I16_LE, at));
          var quants =
              jdk.incubator.vector.ByteVector.fromMemorySegment(
                  B128, seg, at + 2, ByteOrder.LITTLE_ENDIAN);
          var high =
              jdk.incubator.vector.ByteVector.fromMemorySegment(
                  B128, seg, at + 18, ByteOrder.LITTLE_ENDIAN);
          FloatVector lo = (FloatVector) quants.convertShape(VectorOperators.B2F, F512, 0);
          FloatVector hi = (FloatVector) high.convertShape(VectorOperators.B2F, F512, 0);
          int k = xOff + block * 32;
          FloatVector dot =
              lo.mul(FloatVector.fromArray(F512, x, k))
                  .add(hi.mul(FloatVector.fromArray(F512, x, k + 16)));
          acc = dot.fma(FloatVector.broadcast(F512, d), acc);
        }
        out[b * outStride + r] = laneSum(acc, lanes);
      }
    }
  }

  /**
   * Other types: dequantize one row into a scratch buffer (bit-identical to llama.cpp's reference
   * dequantization, see {@link QuantBlocks}), then reuse it for every input.
   *
   * <p>Tolerance: each output is the float dot product of the dequantized weights with the f32
   * inputs as they are, summed in the same lanes and order whatever the batch (so a sequence's
   * outputs do not depend on the batch size); it equals the exact product of those weights and
   * inputs within {@code cols * 2^-23 * sum_k |w_k x_k|}, the bound on summing {@code cols} float
   * products ({@code QuantizedMatmulTest} asserts it for every block type). llama.cpp instead
   * quantizes the inputs for its quantized dot products (to Q8_0 for the 32-value types, Q8_K for
   * the K-quants: int8 with one float scale per 32 or 256 values, so each input moves by up to half
   * of 1/127 of its block's largest magnitude), which is also where its speed comes from; its
   * logits differ from ours by that rounding.
   */
  private static void dequantizing(
      Weight w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int rowFrom,
      int rowTo) {
    int cols = w.cols();
    float[] row = SCRATCH.get();
    if (row.length < cols) {
      row = new float[cols];
      SCRATCH.set(row);
    }
    int lanesPerStep = 4 * S.length();
    int upper4 = cols / lanesPerStep * lanesPerStep;
    int upper = S.loopBound(cols);
    float[] lanes = new float[S.length()];
    for (int r = rowFrom; r < rowTo; r++) {
      dequantizeRow(w, r, row, 0);
      for (int b = 0; b < batch; b++) {
        int xOff = b * xStride;
        // four independent chains: one chain of multiply-adds waits on each one's latency
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int k = 0;
        for (; k < upper4; k += lanesPerStep) {
          int n = S.length();
          a0 = FloatVector.fromArray(S, row, k).fma(FloatVector.fromArray(S, x, xOff + k), a0);
          a1 =
              FloatVector.fromArray(S, row, k + n)
                  .fma(FloatVector.fromArray(S, x, xOff + k + n), a1);
          a2 =
              FloatVector.fromArray(S, row, k + 2 * n)
                  .fma(FloatVector.fromArray(S, x, xOff + k + 2 * n), a2);
          a3 =
              FloatVector.fromArray(S, row, k + 3 * n)
                  .fma(FloatVector.fromArray(S, x, xOff + k + 3 * n), a3);
        }
        for (; k < upper; k += S.length()) {
          a0 = FloatVector.fromArray(S, row, k).fma(FloatVector.fromArray(S, x, xOff + k), a0);
        }
        float sum = laneSum(a0.add(a1).add(a2.add(a3)), lanes);
        for (; k < cols; k++) {
          sum += row[k] * x[xOff + k];
        }
        out[b * outStride + r] = sum;
      }
    }
  }

  /**
   * The sum of a vector's lanes, added in lane order. Not {@code reduceLanes(ADD)}: its order of
   * additions is the implementation's choice and differs between the interpreter or C1 (a loop) and
   * C2 (a tree), so one input's output could change by an ulp depending on when the kernel got
   * compiled, which breaks bit-identical results across batch sizes (QuantizedMatmulTest caught
   * it).
   */
  static float laneSum(FloatVector v, float[] lanes) {
    v.intoArray(lanes, 0);
    float sum = 0;
    for (float lane : lanes) {
      sum += lane;
    }
    return sum;
  }

  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  /** Row {@code r} of {@code w} as floats into {@code out[outOffset ..]}. */
  public static void dequantizeRow(Weight w, int r, float[] out, int outOffset) {
    MemorySegment seg = w.data();
    int cols = w.cols();
    long base = r * w.rowBytes();
    switch (w.type()) {
      case F32 -> MemorySegment.copy(seg, F32_LE, base, out, outOffset, cols);
      case F16 -> {
        for (int k = 0; k < cols; k++) {
          out[outOffset + k] = Float.float16ToFloat(seg.get(I16_LE, base + 2L * k));
        }
      }
      case BF16 -> {
        for (int k = 0; k < cols; k++) {
          out[outOffset + k] =
              Float.intBitsToFloat((seg.get(I16_LE, base + 2L * k) & 0xFFFF) << 16);
        }
      }
      case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K ->
          QuantBlocks.decode(w.type(), seg, base, cols, out, outOffset);
    }
  }
}
