package dev.coemesh.kv.codec;

import java.io.ByteArrayOutputStream;

/**
 * A line-by-line transcription of the reference coder's pseudo-code (ALGORITHMS.md §1.4): one bit
 * per loop step, one search per symbol. Slow on purpose; the tests hold the production coder's bulk
 * renormalisation to its output bit for bit.
 */
final class ReferenceArithmeticCoder {
  private static final long MASK = 0xFFFFFFFFL;

  private ReferenceArithmeticCoder() {}

  static byte[] encode(byte[] symbols, int n, int[] cdf, int lp) {
    Bits out = new Bits();
    long low = 0;
    long high = MASK;
    int pending = 0;
    for (int i = 0; i < n; i++) {
      int s = symbols[i];
      long span = high - low + 1;
      long cLow = cdf[s];
      long cHigh = s == lp - 2 ? 0x10000 : cdf[s + 1];
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      while (true) {
        if (high < 0x80000000L) {
          out.emit(0, pending);
          pending = 0;
          low = (low << 1) & MASK;
          high = ((high << 1) | 1) & MASK;
        } else if (low >= 0x80000000L) {
          out.emit(1, pending);
          pending = 0;
          low = (low << 1) & MASK;
          high = ((high << 1) | 1) & MASK;
        } else if (low >= 0x40000000L && high < 0xC0000000L) {
          pending++;
          low = (low << 1) & 0x7FFFFFFFL;
          high = ((high << 1) | 0x80000001L) & MASK;
        } else {
          break;
        }
      }
    }
    pending++;
    out.emit(low < 0x40000000L ? 0 : 1, pending);
    return out.finish();
  }

  static byte[] decode(byte[] data, int n, int[] cdf, int lp) {
    byte[] symbols = new byte[n];
    int[] bit = {0};
    long value = 0;
    for (int i = 0; i < 32; i++) {
      value = (value << 1) | next(data, bit);
    }
    long low = 0;
    long high = MASK;
    for (int i = 0; i < n; i++) {
      long span = high - low + 1;
      long count = (((value - low + 1) * 0x10000L) - 1) / span;
      int s = 0;
      for (int m = 0; m <= lp - 2; m++) {
        if (cdf[m] <= count) {
          s = m;
        }
      }
      symbols[i] = (byte) s;
      if (i == n - 1) {
        break;
      }
      long cLow = cdf[s];
      long cHigh = s == lp - 2 ? 0x10000 : cdf[s + 1];
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      while (true) {
        if (low >= 0x80000000L || high < 0x80000000L) {
          low = (low << 1) & MASK;
          high = ((high << 1) | 1) & MASK;
          value = ((value << 1) | next(data, bit)) & MASK;
        } else if (low >= 0x40000000L && high < 0xC0000000L) {
          low = (low << 1) & 0x7FFFFFFFL;
          high = ((high << 1) | 0x80000001L) & MASK;
          value = (((value - 0x40000000L) << 1) | next(data, bit)) & MASK;
        } else {
          break;
        }
      }
    }
    return symbols;
  }

  private static int next(byte[] data, int[] bit) {
    int b = bit[0]++;
    int index = b >>> 3;
    return index < data.length ? (data[index] >>> (7 - (b & 7))) & 1 : 0;
  }

  /** MSB-first bit packing, the last byte zero-padded. */
  private static final class Bits {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private int current;
    private int count;

    void emit(int bit, int pending) {
      put(bit);
      for (int i = 0; i < pending; i++) {
        put(1 - bit);
      }
    }

    private void put(int bit) {
      current = (current << 1) | bit;
      if (++count == 8) {
        bytes.write(current);
        current = 0;
        count = 0;
      }
    }

    byte[] finish() {
      if (count > 0) {
        bytes.write(current << (8 - count));
      }
      return bytes.toByteArray();
    }
  }
}
