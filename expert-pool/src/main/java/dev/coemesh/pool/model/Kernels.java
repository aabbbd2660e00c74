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

  /** Inputs processed together per weight panel (accumulators held in registers). */
  static final int TILE = 4;

  /** Rows per packed F32 panel: one vector of outputs. */
  public static final int PANEL = S.length();

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
      case F32 -> f32(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      case Q8_0 -> q8(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      case F16, BF16, Q4_0 -> dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
    }
  }

  /**
   * F32 on the packed copy: for each panel of {@link #PANEL} rows and each tile of inputs,
   * accumulate {@code panel[k][0..PANEL) * x[b][k]} over k. A panel (cols × PANEL floats) is read
   * sequentially and stays in L1 while every input tile uses it. {@code rowFrom} must be a multiple
   * of PANEL.
   */
  private static void f32(
      Weight w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int rowFrom,
      int rowTo) {
    float[] packed = w.packed();
    int cols = w.cols();
    float[] tail = null;
    int r = rowFrom;
    int eights = batch / 8 * 8; // inputs in tiles of 8, then tiles of 4, then single inputs
    int fours = eights + (batch - eights) / TILE * TILE;
    // Blocks of four panels, every input group against the block while it is in cache: tiles of 8
    // two panels at a time (16 accumulators share each broadcast input, halving the loads per
    // multiply-add; load ports, not FMAs, bound this loop), tiles of 4 one panel at a time, single
    // inputs all four panels at once (four chains hide the multiply-add latency)
    if (r + 4 * PANEL <= rowTo) {
      // each tile of 8 inputs interleaved by k, so the kernel's 8 broadcasts per k read one
      // contiguous run (one bounds check, one cache line)
      float[] xt = eights > 0 ? interleaved(x, xStride, eights / 8, cols) : null;
      int panel = cols * PANEL;
      for (; r + 4 * PANEL <= rowTo; r += 4 * PANEL) {
        int base = (r / PANEL) * panel;
        for (int pair = 0; pair < 2; pair++) {
          for (int tile = 0; tile < eights / 8; tile++) {
            f32TwoPanels8(
                packed,
                base + 2 * pair * panel,
                cols,
                xt,
                tile * cols * 8,
                out,
                tile * 8 * outStride + r + 2 * pair * PANEL,
                outStride);
          }
        }
        for (int b0 = eights; b0 < fours; b0 += TILE) {
          for (int q = 0; q < 4; q++) {
            f32Panel4(
                packed,
                base + q * panel,
                cols,
                x,
                b0 * xStride,
                xStride,
                out,
                b0 * outStride + r + q * PANEL,
                outStride);
          }
        }
        for (int b0 = fours; b0 < batch; b0++) {
          f32Panels4x1(packed, base, cols, x, b0 * xStride, out, b0 * outStride + r);
        }
      }
    }
    // the last (at most three) panels of this share, the very last maybe partial: one at a time
    for (; r < rowTo; r += PANEL) {
      int base = (r / PANEL) * cols * PANEL;
      boolean partial = r + PANEL > rowTo;
      if (partial && tail == null) {
        tail = new float[8 * PANEL];
      }
      int b0 = 0;
      for (; b0 + 8 <= batch; b0 += 8) {
        if (partial) {
          f32Panel8(packed, base, cols, x, b0 * xStride, xStride, tail, 0, PANEL);
          copyTail(tail, 8, out, b0 * outStride + r, outStride, rowTo - r);
        } else {
          f32Panel8(
              packed, base, cols, x, b0 * xStride, xStride, out, b0 * outStride + r, outStride);
        }
      }
      for (; b0 + TILE <= batch; b0 += TILE) {
        if (partial) {
          f32Panel4(packed, base, cols, x, b0 * xStride, xStride, tail, 0, PANEL);
          copyTail(tail, TILE, out, b0 * outStride + r, outStride, rowTo - r);
        } else {
          f32Panel4(
              packed, base, cols, x, b0 * xStride, xStride, out, b0 * outStride + r, outStride);
        }
      }
      for (; b0 < batch; b0++) {
        if (partial) {
          f32Panel1(packed, base, cols, x, b0 * xStride, tail, 0);
          copyTail(tail, 1, out, b0 * outStride + r, outStride, rowTo - r);
        } else {
          f32Panel1(packed, base, cols, x, b0 * xStride, out, b0 * outStride + r);
        }
      }
    }
  }

  private static void copyTail(
      float[] tail, int inputs, float[] out, int outIndex, int outStride, int n) {
    for (int b = 0; b < inputs; b++) {
      System.arraycopy(tail, b * PANEL, out, outIndex + b * outStride, n);
    }
  }

  /**
   * One input against four adjacent panels: one accumulator per panel summing k in order, as every
   * batched kernel does, so a token's outputs are bit-identical whether it is computed alone or in
   * a batch of any size (and its K and V round alike in a 16-bit KV cache); the four independent
   * chains hide the multiply-add latency.
   */
  private static void f32Panels4x1(
      float[] packed, int base, int cols, float[] x, int xOff, float[] out, int outIndex) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int panel = cols * PANEL;
    for (int k = 0, w = base; k < cols; k++, w += PANEL) {
      FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
      a0 = FloatVector.fromArray(S, packed, w).fma(v, a0);
      a1 = FloatVector.fromArray(S, packed, w + panel).fma(v, a1);
      a2 = FloatVector.fromArray(S, packed, w + 2 * panel).fma(v, a2);
      a3 = FloatVector.fromArray(S, packed, w + 3 * panel).fma(v, a3);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + PANEL);
    a2.intoArray(out, outIndex + 2 * PANEL);
    a3.intoArray(out, outIndex + 3 * PANEL);
  }

  /**
   * One input against one panel, k in order (see {@link #f32Panels4x1}); one latency-bound chain,
   * so only for a share's last few panels.
   */
  private static void f32Panel1(
      float[] packed, int base, int cols, float[] x, int xOff, float[] out, int outIndex) {
    FloatVector acc = FloatVector.zero(S);
    for (int k = 0, w = base; k < cols; k++, w += PANEL) {
      acc = FloatVector.fromArray(S, packed, w).fma(FloatVector.broadcast(S, x[xOff + k]), acc);
    }
    acc.intoArray(out, outIndex);
  }

  private static final ThreadLocal<float[]> INTERLEAVED =
      ThreadLocal.withInitial(() -> new float[0]);

  /** {@code xt[tile][k][j] = x[(tile*8 + j)*xStride + k]}. */
  private static float[] interleaved(float[] x, int xStride, int tiles, int cols) {
    float[] xt = INTERLEAVED.get();
    if (xt.length < tiles * cols * 8) {
      xt = new float[tiles * cols * 8];
      INTERLEAVED.set(xt);
    }
    for (int tile = 0; tile < tiles; tile++) {
      for (int j = 0; j < 8; j++) {
        int src = (tile * 8 + j) * xStride;
        int dst = tile * cols * 8 + j;
        for (int k = 0; k < cols; k++) {
          xt[dst + 8 * k] = x[src + k];
        }
      }
    }
    return xt;
  }

  /** Two adjacent panels times eight interleaved inputs: sixteen accumulators. */
  private static void f32TwoPanels8(
      float[] packed,
      int base,
      int cols,
      float[] xt,
      int xOff,
      float[] out,
      int outIndex,
      int outStride) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector a4 = FloatVector.zero(S);
    FloatVector a5 = FloatVector.zero(S);
    FloatVector a6 = FloatVector.zero(S);
    FloatVector a7 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector c4 = FloatVector.zero(S);
    FloatVector c5 = FloatVector.zero(S);
    FloatVector c6 = FloatVector.zero(S);
    FloatVector c7 = FloatVector.zero(S);
    int second = cols * PANEL;
    for (int k = 0, w = base, i = xOff; k < cols; k++, w += PANEL, i += 8) {
      FloatVector wa = FloatVector.fromArray(S, packed, w);
      FloatVector wb = FloatVector.fromArray(S, packed, w + second);
      FloatVector v = FloatVector.broadcast(S, xt[i]);
      a0 = wa.fma(v, a0);
      c0 = wb.fma(v, c0);
      v = FloatVector.broadcast(S, xt[i + 1]);
      a1 = wa.fma(v, a1);
      c1 = wb.fma(v, c1);
      v = FloatVector.broadcast(S, xt[i + 2]);
      a2 = wa.fma(v, a2);
      c2 = wb.fma(v, c2);
      v = FloatVector.broadcast(S, xt[i + 3]);
      a3 = wa.fma(v, a3);
      c3 = wb.fma(v, c3);
      v = FloatVector.broadcast(S, xt[i + 4]);
      a4 = wa.fma(v, a4);
      c4 = wb.fma(v, c4);
      v = FloatVector.broadcast(S, xt[i + 5]);
      a5 = wa.fma(v, a5);
      c5 = wb.fma(v, c5);
      v = FloatVector.broadcast(S, xt[i + 6]);
      a6 = wa.fma(v, a6);
      c6 = wb.fma(v, c6);
      v = FloatVector.broadcast(S, xt[i + 7]);
      a7 = wa.fma(v, a7);
      c7 = wb.fma(v, c7);
    }
    // explicit stores: putting vectors in an array would box them and lose the intrinsics
    a0.intoArray(out, outIndex);
    c0.intoArray(out, outIndex + PANEL);
    a1.intoArray(out, outIndex + outStride);
    c1.intoArray(out, outIndex + outStride + PANEL);
    a2.intoArray(out, outIndex + 2 * outStride);
    c2.intoArray(out, outIndex + 2 * outStride + PANEL);
    a3.intoArray(out, outIndex + 3 * outStride);
    c3.intoArray(out, outIndex + 3 * outStride + PANEL);
    a4.intoArray(out, outIndex + 4 * outStride);
    c4.intoArray(out, outIndex + 4 * outStride + PANEL);
    a5.intoArray(out, outIndex + 5 * outStride);
    c5.intoArray(out, outIndex + 5 * outStride + PANEL);
    a6.intoArray(out, outIndex + 6 * outStride);
    c6.intoArray(out, outIndex + 6 * outStride + PANEL);
    a7.intoArray(out, outIndex + 7 * outStride);
    c7.intoArray(out, outIndex + 7 * outStride + PANEL);
  }

  /** Eight inputs: eight independent accumulators per panel load. */
  private static void f32Panel8(
      float[] packed,
      int base,
      int cols,
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
    FloatVector a4 = FloatVector.zero(S);
    FloatVector a5 = FloatVector.zero(S);
    FloatVector a6 = FloatVector.zero(S);
    FloatVector a7 = FloatVector.zero(S);
    for (int k = 0, w = base; k < cols; k++, w += PANEL) {
      FloatVector wv = FloatVector.fromArray(S, packed, w);
      a0 = wv.fma(FloatVector.broadcast(S, x[x0 + k]), a0);
      a1 = wv.fma(FloatVector.broadcast(S, x[x0 + xStride + k]), a1);
      a2 = wv.fma(FloatVector.broadcast(S, x[x0 + 2 * xStride + k]), a2);
      a3 = wv.fma(FloatVector.broadcast(S, x[x0 + 3 * xStride + k]), a3);
      a4 = wv.fma(FloatVector.broadcast(S, x[x0 + 4 * xStride + k]), a4);
      a5 = wv.fma(FloatVector.broadcast(S, x[x0 + 5 * xStride + k]), a5);
      a6 = wv.fma(FloatVector.broadcast(S, x[x0 + 6 * xStride + k]), a6);
      a7 = wv.fma(FloatVector.broadcast(S, x[x0 + 7 * xStride + k]), a7);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + outStride);
    a2.intoArray(out, outIndex + 2 * outStride);
    a3.intoArray(out, outIndex + 3 * outStride);
    a4.intoArray(out, outIndex + 4 * outStride);
    a5.intoArray(out, outIndex + 5 * outStride);
    a6.intoArray(out, outIndex + 6 * outStride);
    a7.intoArray(out, outIndex + 7 * outStride);
  }

  private static void f32Panel4(
      float[] packed,
      int base,
      int cols,
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
    for (int k = 0, w = base; k < cols; k++, w += PANEL) {
      FloatVector wv = FloatVector.fromArray(S, packed, w);
      a0 = wv.fma(FloatVector.broadcast(S, x[x0 + k]), a0);
      a1 = wv.fma(FloatVector.broadcast(S, x[x1 + k]), a1);
      a2 = wv.fma(FloatVector.broadcast(S, x[x2 + k]), a2);
      a3 = wv.fma(FloatVector.broadcast(S, x[x3 + k]), a3);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + outStride);
    a2.intoArray(out, outIndex + 2 * outStride);
    a3.intoArray(out, outIndex + 3 * outStride);
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
    if (S.length() != 16) {
      dequantizing(w, x, xStride, batch, out, outStride, rowFrom, rowTo);
      return;
    }
    MemorySegment seg = w.data();
    int blocks = w.cols() / 32;
    long rowBytes = w.rowBytes();
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
        out[b * outStride + r] = acc.reduceLanes(VectorOperators.ADD);
      }
    }
  }

  /** Other types: dequantize one row into a scratch buffer, then reuse it for every input. */
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
          out[outOffset + k] =
              Float.intBitsToFloat((seg.get(I16_LE, base + 2L * k) & 0xFFFF) << 16);
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
