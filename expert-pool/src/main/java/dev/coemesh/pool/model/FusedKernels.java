package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch-1 matrix-vector products for the block types of the common files (Q8_0, Q5_0, Q4_K, Q6_K)
 * that decode each block in registers and multiply-add it straight away, instead of writing a
 * dequantized row to a scratch buffer and reading it back ({@code Kernels.dequantizing}). They do
 * that path's arithmetic exactly: each weight is decoded with {@link QuantBlocks}' operations (the
 * llama.cpp-exact value), the row's 8-value vectors go to four multiply-add chains in turn (vector
 * v to chain v % 4), and the chains are combined and their lanes summed in the same order. So a
 * sequence's outputs stay bit-identical whether it runs alone (here) or in a batch (there), which
 * {@code QuantizedMatmulTest} checks. Only for 8-lane vectors, where that path's chains are 8 lanes
 * wide. Measured (CPU time per value, 2026-12-07, 2-core AVX2 EPYC): Q8_0 alone, rows of 288
 * values, 0.57-0.71 ns through the scratch row and 0.29-0.30 ns here (runs back to back); the four
 * types taking turns on rows of 768 values, Q5_0 0.54 to 0.44, Q8_0 0.46 to 0.35, Q6_K 0.96 to
 * 0.87, Q4_K 0.76 to 0.81 (within noise: its decoding dominates).
 *
 * <p>As in {@link QuantBlocks}, no vector crosses a method boundary: the JIT boxes vectors passed
 * to a method it does not inline.
 */
final class FusedKernels {
  private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
  private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
  private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
  private static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private FusedKernels() {}

  /** Whether {@link #matmul} computes this product. */
  static boolean applies(Weight w, int batch) {
    return batch == 1
        && Kernels.S.length() == 8
        && switch (w.type()) {
          case Q8_0, Q5_0, Q4_K, Q6_K -> true;
          case F32, F16, BF16, Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K -> false;
        };
  }

  /** {@code out[r] = W[r]·x} for rows [rowFrom, rowTo). */
  static void matmul(Weight w, float[] x, float[] out, int rowFrom, int rowTo) {
    switch (w.type()) {
      case Q8_0 -> q8_0(w, x, out, rowFrom, rowTo);
      case Q5_0 -> q5_0(w, x, out, rowFrom, rowTo);
      case Q4_K -> q4K(w, x, out, rowFrom, rowTo);
      case Q6_K -> q6K(w, x, out, rowFrom, rowTo);
      case F32, F16, BF16, Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K ->
          throw new IllegalArgumentException("no fused kernel for " + w.type());
    }
  }

  private static void q8_0(Weight w, float[] x, float[] out, int rowFrom, int rowTo) {
    MemorySegment seg = w.data();
    int blocks = w.cols() / 32;
    long rowBytes = w.rowBytes();
    float[] lanes = new float[8];
    for (int r = rowFrom; r < rowTo; r++) {
      long at = r * rowBytes;
      FloatVector a0 = FloatVector.zero(F256);
      FloatVector a1 = FloatVector.zero(F256);
      FloatVector a2 = FloatVector.zero(F256);
      FloatVector a3 = FloatVector.zero(F256);
      for (int block = 0; block < blocks; block++, at += 34) {
        float d = Float.float16ToFloat(seg.get(I16_LE, at));
        ByteVector q = ByteVector.fromMemorySegment(B256, seg, at + 2, ByteOrder.LITTLE_ENDIAN);
        int k = block * 32;
        a0 =
            ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 0))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k), a0);
        a1 =
            ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 1))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 8), a1);
        a2 =
            ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 2))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 16), a2);
        a3 =
            ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 3))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 24), a3);
      }
      out[r] = Kernels.laneSum(a0.add(a1).add(a2.add(a3)), lanes);
    }
  }

  private static void q5_0(Weight w, float[] x, float[] out, int rowFrom, int rowTo) {
    MemorySegment seg = w.data();
    int blocks = w.cols() / 32;
    long rowBytes = w.rowBytes();
    float[] lanes = new float[8];
    for (int r = rowFrom; r < rowTo; r++) {
      long at = r * rowBytes;
      FloatVector a0 = FloatVector.zero(F256);
      FloatVector a1 = FloatVector.zero(F256);
      FloatVector a2 = FloatVector.zero(F256);
      FloatVector a3 = FloatVector.zero(F256);
      for (int block = 0; block < blocks; block++, at += 22) {
        float d = Float.float16ToFloat(seg.get(I16_LE, at));
        ByteVector high = ByteVector.fromMemorySegment(B128, seg, at + 2, ByteOrder.LITTLE_ENDIAN);
        ByteVector packed =
            ByteVector.fromMemorySegment(B128, seg, at + 6, ByteOrder.LITTLE_ENDIAN);
        VectorMask<Byte> set0 =
            high.rearrange(QuantBlocks.FIFTH_BYTE[0])
                .and(QuantBlocks.FIFTH_BIT)
                .compare(VectorOperators.NE, 0);
        VectorMask<Byte> set1 =
            high.rearrange(QuantBlocks.FIFTH_BYTE[1])
                .and(QuantBlocks.FIFTH_BIT)
                .compare(VectorOperators.NE, 0);
        ByteVector q0 =
            packed.and((byte) 0x0F).lanewise(VectorOperators.OR, (byte) 16, set0).sub((byte) 16);
        ByteVector q1 =
            packed
                .lanewise(VectorOperators.LSHR, 4)
                .lanewise(VectorOperators.OR, (byte) 16, set1)
                .sub((byte) 16);
        int k = block * 32;
        a0 =
            ((FloatVector) q0.convertShape(VectorOperators.B2F, F256, 0))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k), a0);
        a1 =
            ((FloatVector) q0.convertShape(VectorOperators.B2F, F256, 1))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 8), a1);
        a2 =
            ((FloatVector) q1.convertShape(VectorOperators.B2F, F256, 0))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 16), a2);
        a3 =
            ((FloatVector) q1.convertShape(VectorOperators.B2F, F256, 1))
                .mul(d)
                .fma(FloatVector.fromArray(F256, x, k + 24), a3);
      }
      out[r] = Kernels.laneSum(a0.add(a1).add(a2.add(a3)), lanes);
    }
  }

  private static void q4K(Weight w, float[] x, float[] out, int rowFrom, int rowTo) {
    MemorySegment seg = w.data();
    int blocks = w.cols() / 256;
    long rowBytes = w.rowBytes();
    float[] lanes = new float[8];
    for (int r = rowFrom; r < rowTo; r++) {
      long at = r * rowBytes;
      FloatVector a0 = FloatVector.zero(F256);
      FloatVector a1 = FloatVector.zero(F256);
      FloatVector a2 = FloatVector.zero(F256);
      FloatVector a3 = FloatVector.zero(F256);
      for (int block = 0; block < blocks; block++, at += 144) {
        float d = QuantBlocks.half(seg, at);
        float min = QuantBlocks.half(seg, at + 2);
        for (int c = 0; c < 4; c++) {
          ByteVector packed =
              ByteVector.fromMemorySegment(B256, seg, at + 16 + 32 * c, ByteOrder.LITTLE_ENDIAN);
          ByteVector low = packed.and((byte) 0x0F);
          ByteVector high = packed.lanewise(VectorOperators.LSHR, 4);
          float d0 = d * QuantBlocks.scaleMin(seg, at + 4, 2 * c, 0);
          float m0 = min * QuantBlocks.scaleMin(seg, at + 4, 2 * c, 4);
          float d1 = d * QuantBlocks.scaleMin(seg, at + 4, 2 * c + 1, 0);
          float m1 = min * QuantBlocks.scaleMin(seg, at + 4, 2 * c + 1, 4);
          int k = block * 256 + 64 * c;
          a0 =
              ((FloatVector) low.convertShape(VectorOperators.B2F, F256, 0))
                  .mul(d0)
                  .sub(m0)
                  .fma(FloatVector.fromArray(F256, x, k), a0);
          a1 =
              ((FloatVector) low.convertShape(VectorOperators.B2F, F256, 1))
                  .mul(d0)
                  .sub(m0)
                  .fma(FloatVector.fromArray(F256, x, k + 8), a1);
          a2 =
              ((FloatVector) low.convertShape(VectorOperators.B2F, F256, 2))
                  .mul(d0)
                  .sub(m0)
                  .fma(FloatVector.fromArray(F256, x, k + 16), a2);
          a3 =
              ((FloatVector) low.convertShape(VectorOperators.B2F, F256, 3))
                  .mul(d0)
                  .sub(m0)
                  .fma(FloatVector.fromArray(F256, x, k + 24), a3);
          a0 =
              ((FloatVector) high.convertShape(VectorOperators.B2F, F256, 0))
                  .mul(d1)
                  .sub(m1)
                  .fma(FloatVector.fromArray(F256, x, k + 32), a0);
          a1 =
              ((FloatVector) high.convertShape(VectorOperators.B2F, F256, 1))
                  .mul(d1)
                  .sub(m1)
                  .fma(FloatVector.fromArray(F256, x, k + 40), a1);
          a2 =
              ((FloatVector) high.convertShape(VectorOperators.B2F, F256, 2))
                  .mul(d1)
                  .sub(m1)
                  .fma(FloatVector.fromArray(F256, x, k + 48), a2);
          a3 =
              ((FloatVector) high.convertShape(VectorOperators.B2F, F256, 3))
                  .mul(d1)
                  .sub(m1)
                  .fma(FloatVector.fromArray(F256, x, k + 56), a3);
        }
      }
      out[r] = Kernels.laneSum(a0.add(a1).add(a2.add(a3)), lanes);
    }
  }

  private static void q6K(Weight w, float[] x, float[] out, int rowFrom, int rowTo) {
    MemorySegment seg = w.data();
    int blocks = w.cols() / 256;
    long rowBytes = w.rowBytes();
    float[] lanes = new float[8];
    for (int r = rowFrom; r < rowTo; r++) {
      long at = r * rowBytes;
      FloatVector a0 = FloatVector.zero(F256);
      FloatVector a1 = FloatVector.zero(F256);
      FloatVector a2 = FloatVector.zero(F256);
      FloatVector a3 = FloatVector.zero(F256);
      for (int block = 0; block < blocks; block++, at += 210) {
        float d = QuantBlocks.half(seg, at + 208);
        for (int h = 0; h < 2; h++) {
          ByteVector ql0 =
              ByteVector.fromMemorySegment(B256, seg, at + 64 * h, ByteOrder.LITTLE_ENDIAN);
          ByteVector ql1 =
              ByteVector.fromMemorySegment(B256, seg, at + 64 * h + 32, ByteOrder.LITTLE_ENDIAN);
          ByteVector qh =
              ByteVector.fromMemorySegment(B256, seg, at + 128 + 32 * h, ByteOrder.LITTLE_ENDIAN);
          for (int k = 0; k < 4; k++) {
            ByteVector q = QuantBlocks.q6Quarter(ql0, ql1, qh, k);
            int e = 128 * h + 32 * k;
            float s0 = d * seg.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16);
            float s1 = d * seg.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16 + 1);
            int i = block * 256 + e;
            a0 =
                ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 0))
                    .mul(s0)
                    .fma(FloatVector.fromArray(F256, x, i), a0);
            a1 =
                ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 1))
                    .mul(s0)
                    .fma(FloatVector.fromArray(F256, x, i + 8), a1);
            a2 =
                ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 2))
                    .mul(s1)
                    .fma(FloatVector.fromArray(F256, x, i + 16), a2);
            a3 =
                ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 3))
                    .mul(s1)
                    .fma(FloatVector.fromArray(F256, x, i + 24), a3);
          }
        }
      }
      out[r] = Kernels.laneSum(a0.add(a1).add(a2.add(a3)), lanes);
    }
  }
}
