package dev.coemesh.bench.codec;

import java.util.Arrays;

/**
 * A byte-renormalised rANS coder over the same 16-bit CDFs as the codec's {@link
 * dev.coemesh.kv.codec.ArithmeticCoder}, kept to measure it against the reference coder (size and
 * speed, {@link CoderComparison}); the envelope uses the arithmetic coder. 32-bit state, lower
 * bound 2^23; symbols are encoded in reverse so the decoder reads forward. Not thread-safe.
 */
public final class RansCoder {
  private static final long LOWER = 1L << 23;
  private byte[] reversed = new byte[256];

  public byte[] encode(
      byte[] symbols, int from, int stride, int n, int[] cdf, int cdfOffset, int lp) {
    int top = lp - 2;
    long x = LOWER;
    int written = 0;
    for (int i = n - 1; i >= 0; i--) {
      int s = symbols[from + i * stride];
      long start = cdf[cdfOffset + s];
      long freq = (s == top ? 0x10000 : cdf[cdfOffset + s + 1]) - start;
      long max = ((LOWER >>> 16) << 8) * freq;
      while (x >= max) {
        if (written == reversed.length) {
          reversed = Arrays.copyOf(reversed, written * 2);
        }
        reversed[written++] = (byte) x;
        x >>>= 8;
      }
      x = ((x / freq) << 16) + (x % freq) + start;
    }
    byte[] out = new byte[written + 4];
    out[0] = (byte) (x >>> 24);
    out[1] = (byte) (x >>> 16);
    out[2] = (byte) (x >>> 8);
    out[3] = (byte) x;
    for (int i = 0; i < written; i++) {
      out[4 + i] = reversed[written - 1 - i];
    }
    return out;
  }

  public static void decode(
      byte[] data, int n, int[] cdf, int cdfOffset, int lp, byte[] symbols, int to, int stride) {
    int top = lp - 2;
    long x =
        ((data[0] & 0xFFL) << 24)
            | ((data[1] & 0xFFL) << 16)
            | ((data[2] & 0xFFL) << 8)
            | (data[3] & 0xFFL);
    int at = 4;
    for (int i = 0; i < n; i++) {
      int slot = (int) (x & 0xFFFF);
      int s = 0;
      while (s < top && cdf[cdfOffset + s + 1] <= slot) {
        s++;
      }
      symbols[to + i * stride] = (byte) s;
      long start = cdf[cdfOffset + s];
      long freq = (s == top ? 0x10000 : cdf[cdfOffset + s + 1]) - start;
      x = freq * (x >>> 16) + (x & 0xFFFF) - start;
      while (x < LOWER) {
        x = (x << 8) | (at < data.length ? data[at] & 0xFF : 0);
        at++;
      }
    }
  }
}
