package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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
 */
final class QuantBlocks {
  private static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private QuantBlocks() {}

  private static float half(MemorySegment seg, long at) {
    return Float.float16ToFloat(seg.get(I16_LE, at));
  }

  private static int u8(MemorySegment seg, long at) {
    return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
  }

  /** Decodes {@code cols} values of {@code type} stored from byte {@code base}. */
  static void decode(
      TensorType type, MemorySegment seg, long base, int cols, float[] out, int outOffset) {
    int blocks = cols / type.blockElements();
    long bytes = type.blockBytes();
    int n = type.blockElements();
    for (int block = 0; block < blocks; block++) {
      long at = base + block * bytes;
      int o = outOffset + block * n;
      switch (type) {
        case Q8_0 -> q8_0(seg, at, out, o);
        case Q4_0 -> q4_0(seg, at, out, o);
        case Q4_1 -> q4_1(seg, at, out, o);
        case Q5_0 -> q5_0(seg, at, out, o);
        case Q5_1 -> q5_1(seg, at, out, o);
        case Q2_K -> q2K(seg, at, out, o);
        case Q3_K -> q3K(seg, at, out, o);
        case Q4_K -> q4K(seg, at, out, o);
        case Q5_K -> q5K(seg, at, out, o);
        case Q6_K -> q6K(seg, at, out, o);
        case F32, F16, BF16 -> throw new IllegalArgumentException(type + " has no blocks");
      }
    }
  }

  /** d, then 32 signed bytes: {@code d*q}. */
  static void q8_0(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at);
    for (int i = 0; i < 32; i++) {
      out[o + i] = d * seg.get(ValueLayout.JAVA_BYTE, at + 2 + i);
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
    int high = seg.get(I32_LE, at + 2);
    for (int i = 0; i < 16; i++) {
      int packed = u8(seg, at + 6 + i);
      out[o + i] = (((packed & 0x0F) | ((high >>> i) & 1) << 4) - 16) * d;
      out[o + i + 16] = (((packed >>> 4) | ((high >>> (i + 16)) & 1) << 4) - 16) * d;
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
  private static int scaleMin(MemorySegment seg, long scales, int j, int what) {
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
    for (int j = 0; j < 8; j++) {
      float dj = d * scaleMin(seg, at + 4, j, 0);
      float mj = min * scaleMin(seg, at + 4, j, 4);
      long qs = at + 16 + (j / 2) * 32;
      int shift = 4 * (j % 2);
      for (int l = 0; l < 32; l++) {
        out[o + 32 * j + l] = dj * ((u8(seg, qs + l) >>> shift) & 0xF) - mj;
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
   * ql[128], qh[64], scales[16] (signed), d. In half h, value 128h + 32k + l takes the nibble k/2
   * of ql[64h + 32(k%2) + l] and bits 2k of qh[32h + l], biased by 32: {@code (d*sc)*q}.
   */
  static void q6K(MemorySegment seg, long at, float[] out, int o) {
    float d = half(seg, at + 208);
    for (int e = 0; e < 256; e++) {
      int h = e / 128;
      int k = (e % 128) / 32;
      int l = e % 32;
      int low = (u8(seg, at + 64 * h + 32 * (k % 2) + l) >>> (4 * (k / 2))) & 0xF;
      int high = (u8(seg, at + 128 + 32 * h + l) >>> (2 * k)) & 3;
      float sc = seg.get(ValueLayout.JAVA_BYTE, at + 192 + e / 16);
      out[o + e] = d * sc * ((low | high << 4) - 32);
    }
  }
}
