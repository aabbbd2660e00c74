package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector and matrix-matrix products over weights in any {@link TensorType}. For a batch of
 * inputs each weight row is read once and applied to every input (up to {@link #TILE} at a time),
 * which is what makes batched decode cheaper per token than single decode on memory-bound CPUs.
 */
public final class Kernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final ValueLayout.OfFloat F32_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Inputs processed together per weight row (accumulators held in registers). */
  static final int TILE = 4;

  private Kernels() {}

  /**
   * {@code out[b*outStride + r] = W[r]·x[b*xStride ..]} for rows [rowFrom, rowTo) and b in [0,
   * batch).
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
      case F32 -> f32(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      case F16, BF16, Q8_0, Q4_0 -> dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
    }
  }

  private static void f32(
      Weight w, float[] x, int xStride, int batch, float[] out, int outStride, int rowFrom, int rowTo) {
    MemorySegment seg = w.data();
    int cols = w.cols();
    int upper = S.loopBound(cols);
    long rowBytes = (long) cols * Float.BYTES;
    for (int b0 = 0; b0 < batch; b0 += TILE) {
      int n = Math.min(TILE, batch - b0);
      int x0 = b0 * xStride;
      for (int r = rowFrom; r < rowTo; r++) {
        long base = r * rowBytes;
        switch (n) {
          case 4 -> f32Tile4(seg, base, cols, upper, x, x0, xStride, out, b0 * outStride + r, outStride);
          default -> {
            for (int b = 0; b < n; b++) {
              out[(b0 + b) * outStride + r] = f32Dot(seg, base, cols, upper, x, x0 + b * xStride);
            }
          }
        }
      }
    }
  }

  private static float f32Dot(
      MemorySegment seg, long base, int cols, int upper, float[] x, int xOff) {
    FloatVector acc = FloatVector.zero(S);
    int k = 0;
    for (; k < upper; k += S.length()) {
      FloatVector wv = FloatVector.fromMemorySegment(S, seg, base + (long) k * 4, ByteOrder.LITTLE_ENDIAN);
      acc = wv.fma(FloatVector.fromArray(S, x, xOff + k), acc);
    }
    float sum = acc.reduceLanes(VectorOperators.ADD);
    for (; k < cols; k++) {
      sum += seg.get(F32_LE, base + (long) k * 4) * x[xOff + k];
    }
    return sum;
  }

  private static void f32Tile4(
      MemorySegment seg,
      long base,
      int cols,
      int upper,
      float[] x,
      int x0,
      int xStride,
      float[] out,
      int outIndex,
      int outStride) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int x1 = x0 + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    int k = 0;
    for (; k < upper; k += S.length()) {
      FloatVector wv = FloatVector.fromMemorySegment(S, seg, base + (long) k * 4, ByteOrder.LITTLE_ENDIAN);
      a0 = wv.fma(FloatVector.fromArray(S, x, x0 + k), a0);
      a1 = wv.fma(FloatVector.fromArray(S, x, x1 + k), a1);
      a2 = wv.fma(FloatVector.fromArray(S, x, x2 + k), a2);
      a3 = wv.fma(FloatVector.fromArray(S, x, x3 + k), a3);
    }
    float s0 = a0.reduceLanes(VectorOperators.ADD);
    float s1 = a1.reduceLanes(VectorOperators.ADD);
    float s2 = a2.reduceLanes(VectorOperators.ADD);
    float s3 = a3.reduceLanes(VectorOperators.ADD);
    for (; k < cols; k++) {
      float wk = seg.get(F32_LE, base + (long) k * 4);
      s0 += wk * x[x0 + k];
      s1 += wk * x[x1 + k];
      s2 += wk * x[x2 + k];
      s3 += wk * x[x3 + k];
    }
    out[outIndex] = s0;
    out[outIndex + outStride] = s1;
    out[outIndex + 2 * outStride] = s2;
    out[outIndex + 3 * outStride] = s3;
  }

  /** Other types: dequantize one row into a scratch buffer, then reuse it for every input. */
  private static void dequantizing(
      Weight w, float[] x, int xStride, int batch, float[] out, int outStride, int rowFrom, int rowTo) {
    int cols = w.cols();
    float[] row = SCRATCH.get();
    if (row.length < cols) {
      row = new float[cols];
      SCRATCH.set(row);
    }
    int upper = S.loopBound(cols);
    for (int r = rowFrom; r < rowTo; r++) {
      dequantizeRow(w, r, row, 0);
      for (int b = 0; b < batch; b++) {
        int xOff = b * xStride;
        FloatVector acc = FloatVector.zero(S);
        int k = 0;
        for (; k < upper; k += S.length()) {
          acc = FloatVector.fromArray(S, row, k).fma(FloatVector.fromArray(S, x, xOff + k), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; k < cols; k++) {
          sum += row[k] * x[xOff + k];
        }
        out[b * outStride + r] = sum;
      }
    }
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
          out[outOffset + k] = Float.intBitsToFloat((seg.get(I16_LE, base + 2L * k) & 0xFFFF) << 16);
        }
      }
      case Q8_0 -> {
        for (int block = 0; block < cols / 32; block++) {
          long b = base + block * 34L;
          float d = Float.float16ToFloat(seg.get(I16_LE, b));
          int o = outOffset + block * 32;
          for (int i = 0; i < 32; i++) {
            out[o + i] = d * seg.get(ValueLayout.JAVA_BYTE, b + 2 + i);
          }
        }
      }
      case Q4_0 -> {
        for (int block = 0; block < cols / 32; block++) {
          long b = base + block * 18L;
          float d = Float.float16ToFloat(seg.get(I16_LE, b));
          int o = outOffset + block * 32;
          for (int i = 0; i < 16; i++) {
            int packed = seg.get(ValueLayout.JAVA_BYTE, b + 2 + i) & 0xFF;
            out[o + i] = d * ((packed & 0x0F) - 8);
            out[o + i + 16] = d * ((packed >>> 4) - 8);
          }
        }
      }
    }
  }
}
