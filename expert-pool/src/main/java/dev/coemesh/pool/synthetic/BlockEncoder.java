package dev.coemesh.pool.synthetic;

import java.nio.ByteBuffer;

/**
 * Encoders for the ggml block types beyond Q8_0/Q4_0: Q4_1, Q5_0, Q5_1 and the K-quants. They are
 * our own, simpler than llama.cpp's (no iterative search for the best scale, no importance
 * weights): each sub-block gets the scale (and for the asymmetric types the min) that spans its
 * values, the scales are themselves quantized against the super-block's f16 factors, and every
 * value is rounded against the scale as stored, so decoding gives the nearest representable value
 * within the type's grid. The bit layouts are the inverse of {@code QuantBlocks}' (ggml-common.h).
 */
final class BlockEncoder {
  private BlockEncoder() {}

  private static float f16(float v) {
    return Float.float16ToFloat(Float.floatToFloat16(v));
  }

  private static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  /** {@code round(v / step)} clamped to [lo, hi]; a zero step gives lo clamped to 0. */
  private static int level(float v, float step, int lo, int hi) {
    if (step == 0) {
      return clamp(0, lo, hi);
    }
    return clamp(Math.round(v / step), lo, hi);
  }

  /** Q4_1 (levels 15) and Q5_1 (levels 31): f16 d and m, {@code q*d + m}. */
  static void q4_1or5_1(float[] x, int b, int levels, ByteBuffer out) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < 32; i++) {
      lo = Math.min(lo, x[b + i]);
      hi = Math.max(hi, x[b + i]);
    }
    float d = f16((hi - lo) / levels);
    float m = f16(lo);
    out.putShort(Float.floatToFloat16(d));
    out.putShort(Float.floatToFloat16(m));
    int[] q = new int[32];
    for (int i = 0; i < 32; i++) {
      q[i] = level(x[b + i] - m, d, 0, levels);
    }
    if (levels == 31) {
      out.putInt(fifthBits(q));
    }
    nibbles(q, out);
  }

  /** Q5_0: f16 d from the value of largest magnitude (which maps to -16), {@code (q-16)*d}. */
  static void q5_0(float[] x, int b, ByteBuffer out) {
    float max = 0;
    for (int i = 0; i < 32; i++) {
      if (Math.abs(x[b + i]) > Math.abs(max)) {
        max = x[b + i];
      }
    }
    float d = f16(max / -16);
    out.putShort(Float.floatToFloat16(d));
    int[] q = new int[32];
    for (int i = 0; i < 32; i++) {
      q[i] = level(x[b + i], d, -16, 15) + 16;
    }
    out.putInt(fifthBits(q));
    nibbles(q, out);
  }

  /** Bit i: the fifth bit of value i. */
  private static int fifthBits(int[] q) {
    int bits = 0;
    for (int i = 0; i < 32; i++) {
      bits |= ((q[i] >> 4) & 1) << i;
    }
    return bits;
  }

  /** Byte i: value i in the low nibble, value i+16 in the high one. */
  private static void nibbles(int[] q, ByteBuffer out) {
    for (int i = 0; i < 16; i++) {
      out.put((byte) ((q[i] & 0xF) | (q[i + 16] & 0xF) << 4));
    }
  }

  /**
   * The asymmetric K-quant layout's numbers: per sub-block of {@code size} values a scale index
   * {@code ls} and min index {@code lm} in [0, scaleMax] against the super-block's f16 d and dmin,
   * and per value a level q in [0, levels], decoding to {@code (d*ls)*q - dmin*lm}.
   */
  private record Asymmetric(float d, float dmin, int[] ls, int[] lm, int[] q) {}

  private static Asymmetric asymmetric(float[] x, int b, int size, int levels, int scaleMax) {
    int subs = 256 / size;
    float[] scale = new float[subs];
    float[] min = new float[subs];
    float maxScale = 0;
    float maxMin = 0;
    for (int s = 0; s < subs; s++) {
      float lo = 0; // the min is stored as a subtrahend, so a sub-block's offset is never above 0
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < size; i++) {
        lo = Math.min(lo, x[b + s * size + i]);
        hi = Math.max(hi, x[b + s * size + i]);
      }
      scale[s] = (hi - lo) / levels;
      min[s] = -lo;
      maxScale = Math.max(maxScale, scale[s]);
      maxMin = Math.max(maxMin, min[s]);
    }
    float d = f16(maxScale / scaleMax);
    float dmin = f16(maxMin / scaleMax);
    int[] ls = new int[subs];
    int[] lm = new int[subs];
    int[] q = new int[256];
    for (int s = 0; s < subs; s++) {
      // rounding the scale up keeps the sub-block's largest value inside the grid
      ls[s] = d == 0 ? 0 : clamp((int) Math.ceil(scale[s] / d), 0, scaleMax);
      lm[s] = level(min[s], dmin, 0, scaleMax);
      float step = d * ls[s];
      float offset = dmin * lm[s];
      for (int i = 0; i < size; i++) {
        q[s * size + i] = level(x[b + s * size + i] + offset, step, 0, levels);
      }
    }
    return new Asymmetric(d, dmin, ls, lm, q);
  }

  /** Q2_K: scales[16] (scale low nibble, min high), qs[64], d, dmin. */
  static void q2K(float[] x, int b, ByteBuffer out) {
    Asymmetric a = asymmetric(x, b, 16, 3, 15);
    for (int s = 0; s < 16; s++) {
      out.put((byte) (a.ls[s] | a.lm[s] << 4));
    }
    out.put(twoBitQuants(a.q, 0));
    out.putShort(Float.floatToFloat16(a.d));
    out.putShort(Float.floatToFloat16(a.dmin));
  }

  /** 64 bytes: value e = 128h + 32j + i in bits 2j of byte 32h + i, less {@code bias}. */
  private static byte[] twoBitQuants(int[] q, int bias) {
    byte[] qs = new byte[64];
    for (int e = 0; e < 256; e++) {
      qs[(e / 128) * 32 + e % 32] |= (byte) (((q[e] + bias) & 3) << (2 * ((e % 128) / 32)));
    }
    return qs;
  }

  /** Q4_K (levels 15) and Q5_K (levels 31): d, dmin, scales[12], [qh[32]], qs[128]. */
  static void q4Kor5K(float[] x, int b, int levels, ByteBuffer out) {
    Asymmetric a = asymmetric(x, b, 32, levels, 63);
    out.putShort(Float.floatToFloat16(a.d));
    out.putShort(Float.floatToFloat16(a.dmin));
    byte[] scales = new byte[12];
    for (int j = 0; j < 4; j++) {
      scales[j] = (byte) (a.ls[j] | (a.ls[j + 4] >> 4) << 6);
      scales[j + 4] = (byte) (a.lm[j] | (a.lm[j + 4] >> 4) << 6);
      scales[j + 8] = (byte) ((a.ls[j + 4] & 0xF) | (a.lm[j + 4] & 0xF) << 4);
    }
    out.put(scales);
    if (levels == 31) {
      byte[] qh = new byte[32];
      for (int e = 0; e < 256; e++) {
        qh[e % 32] |= (byte) (((a.q[e] >> 4) & 1) << (e / 32));
      }
      out.put(qh);
    }
    byte[] qs = new byte[128];
    for (int e = 0; e < 256; e++) {
      int j = e / 32;
      qs[(j / 2) * 32 + e % 32] |= (byte) ((a.q[e] & 0xF) << (4 * (j % 2)));
    }
    out.put(qs);
  }

  /**
   * The symmetric K-quant layout's numbers: per sub-block of 16 a signed scale index in [-scaleMax
   * - 1, scaleMax] against the f16 d, per value a level in [-half, half - 1], decoding to {@code
   * (d*ls)*q}. As in Q4_0, a sub-block's value of largest magnitude maps to level -half (and the
   * largest scale to -scaleMax - 1), which uses the one extra negative level.
   */
  private record Symmetric(float d, int[] ls, int[] q) {}

  private static Symmetric symmetric(float[] x, int b, int half, int scaleMax) {
    float[] scale = new float[16];
    float top = 0;
    for (int s = 0; s < 16; s++) {
      float max = 0;
      for (int i = 0; i < 16; i++) {
        if (Math.abs(x[b + s * 16 + i]) > Math.abs(max)) {
          max = x[b + s * 16 + i];
        }
      }
      scale[s] = max / -half;
      if (Math.abs(scale[s]) > Math.abs(top)) {
        top = scale[s];
      }
    }
    float d = f16(top / -(scaleMax + 1));
    int[] ls = new int[16];
    int[] q = new int[256];
    for (int s = 0; s < 16; s++) {
      ls[s] = level(scale[s], d, -scaleMax - 1, scaleMax);
      float step = d * ls[s];
      for (int i = 0; i < 16; i++) {
        q[s * 16 + i] = level(x[b + s * 16 + i], step, -half, half - 1);
      }
    }
    return new Symmetric(d, ls, q);
  }

  /** Q3_K: hmask[32], qs[64], scales[12] (6-bit, biased by 32), d. */
  static void q3K(float[] x, int b, ByteBuffer out) {
    Symmetric a = symmetric(x, b, 4, 31);
    byte[] hmask = new byte[32];
    for (int e = 0; e < 256; e++) {
      if (a.q[e] >= 0) { // a set high bit means "no -4"
        hmask[e % 32] |= (byte) (1 << (e / 32));
      }
    }
    out.put(hmask);
    out.put(twoBitQuants(a.q, 4));
    byte[] scales = new byte[12];
    for (int s = 0; s < 16; s++) {
      int v = a.ls[s] + 32;
      scales[s % 8] |= (byte) ((v & 0xF) << (4 * (s / 8)));
      scales[8 + s % 4] |= (byte) (((v >> 4) & 3) << (2 * (s / 4)));
    }
    out.put(scales);
    out.putShort(Float.floatToFloat16(a.d));
  }

  /** Q6_K: ql[128], qh[64], scales[16] (signed), d. */
  static void q6K(float[] x, int b, ByteBuffer out) {
    Symmetric a = symmetric(x, b, 32, 127);
    byte[] ql = new byte[128];
    byte[] qh = new byte[64];
    for (int e = 0; e < 256; e++) {
      int h = e / 128;
      int k = (e % 128) / 32;
      int l = e % 32;
      int v = a.q[e] + 32;
      ql[64 * h + 32 * (k % 2) + l] |= (byte) ((v & 0xF) << (4 * (k / 2)));
      qh[32 * h + l] |= (byte) ((v >> 4) << (2 * k));
    }
    out.put(ql);
    out.put(qh);
    for (int s = 0; s < 16; s++) {
      out.put((byte) a.ls[s]);
    }
    out.putShort(Float.floatToFloat16(a.d));
  }
}
