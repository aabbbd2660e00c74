package dev.coemesh.kv.codec;

import java.util.Arrays;

/**
 * CacheGen's 32-bit arithmetic coder with 16-bit cumulative frequencies and carry-less (E1/E2/E3)
 * renormalisation, bit-for-bit as the reference kernels: bits MSB-first, the last byte zero-padded.
 * One instance codes one stream at a time; not thread-safe.
 *
 * <p>The CDF has {@code lp} entries, strictly increasing from 0, with {@code cdf[lp-1] = 0xFFFF};
 * symbols are 0..lp-2 and the top symbol's upper bound is 0x10000.
 */
public final class ArithmeticCoder {
  private static final long MASK = 0xFFFFFFFFL;

  private byte[] out = new byte[256];
  private int bytes; // whole bytes written to out
  private long acc; // pending bits, right-aligned
  private int accBits; // how many bits acc holds (< 8 between calls to put)

  /** Encodes {@code n} symbols {@code symbols[from + i*stride]}; returns the bytes. */
  public byte[] encode(
      byte[] symbols, int from, int stride, int n, int[] cdf, int cdfOffset, int lp) {
    bytes = 0;
    acc = 0;
    accBits = 0;
    long low = 0;
    long high = MASK;
    int pending = 0;
    int top = lp - 2;
    for (int i = 0; i < n; i++) {
      int s = symbols[from + i * stride];
      long span = high - low + 1;
      long cLow = cdf[cdfOffset + s];
      long cHigh = s == top ? 0x10000 : cdf[cdfOffset + s + 1];
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      while (true) {
        if (high < 0x80000000L) {
          emit(0, pending);
          pending = 0;
          low = (low << 1) & MASK;
          high = ((high << 1) | 1) & MASK;
        } else if (low >= 0x80000000L) {
          emit(1, pending);
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
    emit(low < 0x40000000L ? 0 : 1, pending);
    if (accBits > 0) {
      put((int) (acc << (8 - accBits)) & 0xFF); // zero-pad the last byte
    }
    return Arrays.copyOf(out, bytes);
  }

  /** Writes {@code bit} then {@code pending} copies of its complement, many bits at a time. */
  private void emit(int bit, int pending) {
    writeBits(bit, 1);
    long run = bit == 0 ? -1L : 0L; // the complement, as a run of ones or zeros
    while (pending > 0) {
      int n = Math.min(pending, 48);
      writeBits(run & ((1L << n) - 1), n);
      pending -= n;
    }
  }

  /** Appends the low {@code n} (<= 48) bits of {@code bits}, most significant first. */
  private void writeBits(long bits, int n) {
    acc = (acc << n) | bits;
    accBits += n;
    while (accBits >= 8) {
      accBits -= 8;
      put((int) (acc >>> accBits) & 0xFF);
    }
    acc &= (1L << accBits) - 1;
  }

  private void put(int b) {
    if (bytes == out.length) {
      out = Arrays.copyOf(out, out.length * 2);
    }
    out[bytes++] = (byte) b;
  }

  /**
   * Decodes {@code n} symbols from {@code data[start, start+length)} into {@code symbols[to +
   * i*stride]}. Reads past the stream as zero bits, so malformed input yields wrong symbols, never
   * an exception or a hang (the envelope's checksum catches corruption before this runs).
   */
  public static void decode(
      byte[] data,
      int start,
      int length,
      int n,
      int[] cdf,
      int cdfOffset,
      int lp,
      byte[] symbols,
      int to,
      int stride) {
    byte[] guess = new byte[GUESS_BUCKETS];
    guesses(cdf, cdfOffset, lp, guess, 0);
    decode(data, start, length, n, cdf, cdfOffset, lp, symbols, to, stride, guess, 0);
  }

  /** Buckets of the 16-bit count space in a stream's symbol-guess table. */
  public static final int GUESS_BUCKETS = 64;

  /**
   * Fills {@code out[outOffset .. +64)} with, per bucket of 1024 counts, the largest symbol whose
   * cumulative frequency starts at or below the bucket: the decoder's search starts there and scans
   * up at most a few symbols instead of bisecting the whole table.
   */
  public static void guesses(int[] cdf, int cdfOffset, int lp, byte[] out, int outOffset) {
    int top = lp - 2;
    for (int b = 0; b < GUESS_BUCKETS; b++) {
      out[outOffset + b] = (byte) search(cdf, cdfOffset, top, (long) b << 10);
    }
  }

  /**
   * As {@link #decode(byte[], int, int, int, int[], int, int, byte[], int, int)}, with a prepared
   * guess table.
   */
  public static void decode(
      byte[] data,
      int start,
      int length,
      int n,
      int[] cdf,
      int cdfOffset,
      int lp,
      byte[] symbols,
      int to,
      int stride,
      byte[] guess,
      int guessOffset) {
    BitReader in = new BitReader(data, start, length);
    long value = 0;
    for (int i = 0; i < 32; i++) {
      value = (value << 1) | in.next();
    }
    long low = 0;
    long high = MASK;
    int top = lp - 2;
    for (int i = 0; i < n; i++) {
      long span = high - low + 1;
      long count = (((value - low + 1) * 0x10000L) - 1) / span;
      // a malformed stream can push count outside [0, 0xFFFF]; clamp so the scan stays in bounds
      count = Math.max(0, Math.min(0xFFFF, count));
      int s = guess[guessOffset + (int) (count >>> 10)];
      while (s < top && cdf[cdfOffset + s + 1] <= count) {
        s++;
      }
      symbols[to + i * stride] = (byte) s;
      if (i == n - 1) {
        break;
      }
      long cLow = cdf[cdfOffset + s];
      long cHigh = s == top ? 0x10000 : cdf[cdfOffset + s + 1];
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      while (true) {
        if (low >= 0x80000000L || high < 0x80000000L) {
          low = (low << 1) & MASK;
          high = ((high << 1) | 1) & MASK;
          value = ((value << 1) | in.next()) & MASK;
        } else if (low >= 0x40000000L && high < 0xC0000000L) {
          low = (low << 1) & 0x7FFFFFFFL;
          high = ((high << 1) | 0x80000001L) & MASK;
          value = (((value - 0x40000000L) << 1) | in.next()) & MASK;
        } else {
          break;
        }
      }
    }
  }

  /** Largest m in [0, top] with cdf[m] <= count. */
  private static int search(int[] cdf, int offset, int top, long count) {
    int lo = 0;
    int hi = top;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (cdf[offset + mid] <= count) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** MSB-first bits of a byte range; past its end it yields zeros. Refills 8 bits at a time. */
  private static final class BitReader {
    private final byte[] data;
    private final int end;
    private int index;
    private int reservoir;
    private int available;

    BitReader(byte[] data, int start, int length) {
      this.data = data;
      this.end = start + length;
      this.index = start;
    }

    int next() {
      if (available == 0) {
        reservoir = index < end ? data[index] & 0xFF : 0;
        index++;
        available = 8;
      }
      available--;
      return (reservoir >>> available) & 1;
    }
  }

  /**
   * The reference CDF of one stream's symbols: {@code cdf[i] = floor((0xFFFF - maxBins) * (#symbols
   * < i) / n) + i}, {@code lp = maxBins + 1} entries.
   */
  public static void cdf(
      byte[] symbols, int from, int stride, int n, int maxBins, int[] out, int outOffset) {
    int lp = maxBins + 1;
    long[] hist = new long[lp];
    for (int i = 0; i < n; i++) {
      hist[symbols[from + i * stride] + 1]++;
    }
    if (n == 0) {
      // no symbols (an empty chunk): a uniform table, so the table is still well-formed
      for (int i = 0; i < lp; i++) {
        out[outOffset + i] = (int) ((0xFFFFL - maxBins) * i / maxBins) + i;
      }
      return;
    }
    long cumulative = 0;
    for (int i = 0; i < lp; i++) {
      cumulative += hist[i];
      out[outOffset + i] = (int) ((0xFFFFL - maxBins) * cumulative / n) + i;
    }
  }
}
