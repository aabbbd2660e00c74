package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decodes rows of ggml quantized blocks into floats, bit-identical to llama.cpp's reference {@code
 * dequantize_row_*} (ggml-quants.c): each value is computed with the same float operations in the
 * same order (for instance Q4_K's {@code (d*sc)*q - dmin*m}, Q6_K's {@code (d*sc)*q}), each rounded
 * once, so the results match to the bit (checked against fixtures captured from llama.cpp, see
 * {@code src/test/resources/kquant/README.md}). Block layouts are those of ggml-common.h.
 *
 * <p>Within a K-quant super-block every layout is arranged so that value {@code e}'s scale is
 * sub-block {@code e/16} (Q2_K, Q3_K, Q6_K) or {@code e/32} (Q4_K, Q5_K); the index arithmetic
 * below spells out where each value's bits live.
 *
 * <p>The types of the common files (Q8_0, Q5_0, Q4_K, Q6_K: all of a Q4_K_M stories15M-shape model)
 * decode on the Vector API, eight values at a time: the quants are unpacked in byte lanes, widened
 * to floats and scaled with the same multiply and subtract as the scalar formula, lane by lane, so
 * they give the same bits (the fixtures check them). The others decode value by value.
 */
final class QuantBlocks {
  private static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
  private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
  private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;

  /** For value 16*half + i of a Q5_0 block: the byte of its fifth bit, and the bit in it. */
  static final VectorShuffle<Byte>[] FIFTH_BYTE = fifthBytes();

  static final ByteVector FIFTH_BIT =
      ByteVector.fromArray(
          B128, new byte[] {1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128}, 0);

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Byte>[] fifthBytes() {
    VectorShuffle<Byte>[] shuffles = new VectorShuffle[2];
    for (int half = 0; half < 2; half++) {
      int[] source = new int[16];
      for (int i = 0; i < 16; i++) {
        source[i] = 2 * half + i / 8;
      }
      shuffles[half] = VectorShuffle.fromArray(B128, source, 0);
    }
    return shuffles;
  }

  private QuantBlocks() {}

  static float half(MemorySegment seg, long at) {
    return Float.float16ToFloat(seg.get(I16_LE, at));
  }

  static int u8(MemorySegment seg, long at) {
    return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
  }

  /**
   * Decodes {@code cols} values of {@code type} stored from byte {@code base}. One loop per type,
   * so that each loop's call is to one decoder only: with the type switched inside a shared loop, a
   * model mixing four types decoded Q8_0 about 45% slower than a model of Q8_0 alone.
   */
  static void decode(
      TensorType type, MemorySegment seg, long base, int cols, float[] out, int outOffset) {
    int blocks = cols / type.blockElements();
    switch (type) {
      case Q8_0 -> {
        for (int b = 0; b < blocks; b++) {
          q8_0(seg, base + 34L * b, out, outOffset + 32 * b);
        }
      }
      case Q4_0 -> {
        for (int b = 0; b < blocks; b++) {
          q4_0(seg, base + 18L * b, out, outOffset + 32 * b);
        }
      }
      case Q4_1 -> {
        for (int b = 0; b < blocks; b++) {
          q4_1(seg, base + 20L * b, out, outOffset + 32 * b);
        }
      }
      case Q5_0 -> {
        for (int b = 0; b < blocks; b++) {
          q5_0(seg, base + 22L * b, out, outOffset + 32 * b);
        }
      }
      case Q5_1 -> {
        for (int b = 0; b < blocks; b++) {
          q5_1(seg, base + 24L * b, out, outOffset + 32 * b);
        }
      }
      case Q2_K -> {
        for (int b = 0; b < blocks; b++) {
          q2K(seg, base + 84L * b, out, outOffset + 256 * b);
        }
      }
      case Q3_K -> {
        for (int b = 0; b < blocks; b++) {
          q3K(seg, base + 110L * b, out, outOffset + 256 * b);
        }
      }
      case Q4_K -> {
        for (int b = 0; b < blocks; b++) {
          q4K(seg, base + 144L * b, out, outOffset + 256 * b);
        }
      }
      case Q5_K -> {
        for (int b = 0; b < blocks; b++) {
          q5K(seg, base + 176L * b, out, outOffset + 256 * b);
        }
      }
      case Q6_K -> {
        for (int b = 0; b < blocks; b++) {
          q6K(seg, base + 210L * b, out, outOffset + 256 * b);
        }
      }
      case F32, F16, BF16 -> throw new IllegalArgumentException(type + " has no blocks");
    }
  }

  /** d, then 32 signed bytes: {@code d*q}. */
  static void q8_0(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    ByteVector q = ByteVector.fromMemorySegment(B256, seg, at + 2, ByteOrder.LITTLE_ENDIAN);
    for (int part = 0; part < 4; part++) {
      ((FloatVector) q.convertShape(VectorOperators.B2F, F256, part))
          .mul(d)
          .intoArray(out, o + 8 * part);
    }
  }

  /** d, then nibbles (value i low, value i+16 high): {@code (q-8)*d}. */
  static void q4_0(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    for (int i = 0; i < 16; i++) {
      int packed = u8(seg, at + 2 + i);
      out[o + i] = ((packed & 0x0F) - 8) * d;
      out[o + i + 16] = ((packed >>> 4) - 8) * d;
    }
  }

  /** d, m, then nibbles: {@code q*d + m}. */
  static void q4_1(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    float m = half(seg, at + 2);
    for (int i = 0; i < 16; i++) {
      int packed = u8(seg, at + 4 + i);
      out[o + i] = (packed & 0x0F) * d + m;
      out[o + i + 16] = (packed >>> 4) * d + m;
    }
  }

  /** d, 32 fifth bits (bit i for value i), nibbles: {@code (q-16)*d}. */
  static void q5_0(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    // bytes 0..3 of this load are the fifth bits (value i: bit i%8 of byte i/8), 4..15 unused
    ByteVector high = ByteVector.fromMemorySegment(B128, seg, at + 2, ByteOrder.LITTLE_ENDIAN);
    ByteVector packed = ByteVector.fromMemorySegment(B128, seg, at + 6, ByteOrder.LITTLE_ENDIAN);
    for (int half = 0; half < 2; half++) { // values 16*half ..: low nibbles, then high ones
      ByteVector nibbles =
          half == 0 ? packed.and((byte) 0x0F) : packed.lanewise(VectorOperators.LSHR, 4);
      VectorMask<Byte> set =
          high.rearrange(FIFTH_BYTE[half]).and(FIFTH_BIT).compare(VectorOperators.NE, 0);
      ByteVector q = nibbles.lanewise(VectorOperators.OR, (byte) 16, set).sub((byte) 16);
      for (int part = 0; part < 2; part++) {
        ((FloatVector) q.convertShape(VectorOperators.B2F, F256, part))
            .mul(d)
            .intoArray(out, o + 16 * half + 8 * part);
      }
    }
  }

  /** d, m, 32 fifth bits, nibbles: {@code q*d + m}. */
  static void q5_1(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    float m = half(seg, at + 2);
    int high = seg.get(I32_LE, at + 4);
    for (int i = 0; i < 16; i++) {
      int packed = u8(seg, at + 8 + i);
      out[o + i] = ((packed & 0x0F) | ((high >>> i) & 1) << 4) * d + m;
      out[o + i + 16] = ((packed >>> 4) | ((high >>> (i + 16)) & 1) << 4) * d + m;
    }
  }

  /**
   * scales[16] (low nibble scale, high nibble min), qs[64], d, dmin. Value e = 128h + 32j + i (half
   * h, bit pair j) is bits 2j of qs[32h + i]: {@code (d*sc)*q - dmin*m}.
   */
  static void q2K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at + 80);
    float min = half(seg, at + 82);
    for (int e = 0; e < 256; e++) {
      int sc = u8(seg, at + e / 16);
      float dl = d * (sc & 0xF);
      float ml = min * (sc >>> 4);
      int q = (u8(seg, at + 16 + (e / 128) * 32 + e % 32) >>> (2 * ((e % 128) / 32))) & 3;
      out[o + e] = dl * q - ml;
    }
  }

  /**
   * hmask[32], qs[64], scales[12] (sixteen 6-bit values biased by 32), d. Value e has its low bits
   * where Q2_K has them and its high bit in bit {@code e/32} of hmask[e%32]; a clear high bit
   * subtracts 4: {@code (d*(sc-32)) * (q - 4*!h)}.
   */
  static void q3K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at + 108);
    long sc = at + 96;
    for (int e = 0; e < 256; e++) {
      int s = e / 16; // scale s: low nibble from byte s%8 (s/8 picks the nibble), top 2 from 8+s%4
      int low = (u8(seg, sc + s % 8) >>> (4 * (s / 8))) & 0xF;
      int top = (u8(seg, sc + 8 + s % 4) >>> (2 * (s / 4))) & 3;
      float dl = d * ((low | top << 4) - 32);
      int q = (u8(seg, at + 32 + (e / 128) * 32 + e % 32) >>> (2 * ((e % 128) / 32))) & 3;
      boolean h = (u8(seg, at + e % 32) & (1 << (e / 32))) != 0;
      out[o + e] = dl * (q - (h ? 0 : 4));
    }
  }

  /**
   * Sub-block j's 6-bit scale (what = 0) or min (what = 4) of a Q4_K/Q5_K super-block's 12 scale
   * bytes: j < 4 keeps them in the low six bits of bytes j and j+4, j ≥ 4 splits them between a
   * nibble of byte j+4 and the top two bits of byte j-4 (scales) or j (mins).
   */
  static int scaleMin(MemorySegment seg, long scales, int j, int what) {
    if (j < 4) {
      return u8(seg, scales + j + what) & 63;
    }
    int nibble = (u8(seg, scales + j + 4) >>> what) & 0xF;
    return nibble | (u8(seg, scales + j - 4 + what) >>> 6) << 4;
  }

  /**
   * d, dmin, scales[12], qs[128]. Value e = 64c + 32k + l is nibble k of qs[32c + l], sub-block
   * e/32: {@code (d*sc)*q - dmin*m}.
   */
  static void q4K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    float min = half(seg, at + 2);
    for (int c = 0; c < 4; c++) { // sub-blocks 2c (low nibbles) and 2c+1 (high) share 32 bytes
      ByteVector packed =
          ByteVector.fromMemorySegment(B256, seg, at + 16 + 32 * c, ByteOrder.LITTLE_ENDIAN);
      ByteVector low = packed.and((byte) 0x0F);
      ByteVector high = packed.lanewise(VectorOperators.LSHR, 4);
      float d0 = d * scaleMin(seg, at + 4, 2 * c, 0);
      float m0 = min * scaleMin(seg, at + 4, 2 * c, 4);
      float d1 = d * scaleMin(seg, at + 4, 2 * c + 1, 0);
      float m1 = min * scaleMin(seg, at + 4, 2 * c + 1, 4);
      for (int part = 0; part < 4; part++) {
        ((FloatVector) low.convertShape(VectorOperators.B2F, F256, part))
            .mul(d0)
            .sub(m0)
            .intoArray(out, o + 64 * c + 8 * part);
        ((FloatVector) high.convertShape(VectorOperators.B2F, F256, part))
            .mul(d1)
            .sub(m1)
            .intoArray(out, o + 64 * c + 32 + 8 * part);
      }
    }
  }

  /** As Q4_K, with qh[32] before the nibbles: bit j of qh[l] adds 16 to value 32j + l. */
  static void q5K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    float min = half(seg, at + 2);
    for (int j = 0; j < 8; j++) {
      float dj = d * scaleMin(seg, at + 4, j, 0);
      float mj = min * scaleMin(seg, at + 4, j, 4);
      long qs = at + 48 + (j / 2) * 32;
      int shift = 4 * (j % 2);
      for (int l = 0; l < 32; l++) {
        int q = ((u8(seg, qs + l) >>> shift) & 0xF) | ((u8(seg, at + 16 + l) >>> j) & 1) << 4;
        out[o + 32 * j + l] = dj * q - mj;
      }
    }
  }

  /**
   * Quarter {@code k} (32 values) of a Q6_K half from its low-bit bytes {@code ql0}/{@code ql1} and
   * high-bit bytes {@code qh}: the 6-bit values, biased by 32 (shared by the decoder and the fused
   * batch-1 matmul, so both see the same values).
   */
  static ByteVector q6Quarter(ByteVector ql0, ByteVector ql1, ByteVector qh, int k) {
    ByteVector ql = k % 2 == 0 ? ql0 : ql1;
    ByteVector low = k < 2 ? ql.and((byte) 0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
    ByteVector high = qh.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3);
    return low.or(high.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
  }

  /**
   * ql[128], qh[64], scales[16] (signed), d. In half h, value 128h + 32k + l takes the nibble k/2
   * of ql[64h + 32(k%2) + l] and bits 2k of qh[32h + l], biased by 32: {@code (d*sc)*q}.
   */
  static void q6K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at + 208);
    for (int h = 0; h < 2; h++) {
      ByteVector ql0 =
          ByteVector.fromMemorySegment(B256, seg, at + 64 * h, ByteOrder.LITTLE_ENDIAN);
      ByteVector ql1 =
          ByteVector.fromMemorySegment(B256, seg, at + 64 * h + 32, ByteOrder.LITTLE_ENDIAN);
      ByteVector qh =
          ByteVector.fromMemorySegment(B256, seg, at + 128 + 32 * h, ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < 4; k++) {
        ByteVector q = q6Quarter(ql0, ql1, qh, k);
        int e = 128 * h + 32 * k;
        float s0 = d * seg.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16);
        float s1 = d * seg.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16 + 1);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 0)).mul(s0).intoArray(out, o + e);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 1))
            .mul(s0)
            .intoArray(out, o + e + 8);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 2))
            .mul(s1)
            .intoArray(out, o + e + 16);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F256, 3))
            .mul(s1)
            .intoArray(out, o + e + 24);
      }
    }
  }
}
