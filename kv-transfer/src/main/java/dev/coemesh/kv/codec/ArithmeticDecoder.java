package dev.coemesh.kv.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The decoding half of CacheGen's 32-bit arithmetic coder ({@link ArithmeticCoder}): one stream,
 * one symbol per {@link #next} call, each under a table the caller picks (so a stream can switch
 * tables per symbol, as the encoder's {@link ArithmeticEncoder#append(byte[], int[], int, int[])}
 * does). Same bulk renormalisation as the encoder, input through a 64-bit register, and a guess
 * table per frequency table in place of the reference's binary search. Callers decode two streams
 * in lockstep (two instances, alternating calls): one stream is a serial chain (divide, search,
 * multiply, shift), two independent chains let the core overlap them.
 *
 * <p>Reads past the stream as zero bits, so malformed input yields wrong symbols, never an
 * exception or a hang (the envelope's checksum catches corruption before this runs). Not
 * thread-safe; allocation-free.
 */
public final class ArithmeticDecoder {
  private static final long MASK = 0xFFFFFFFFL;
  private static final long HALF = 0x80000000L;
  private static final VarHandle INT_BE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  /** log2 of the counts per bucket of a table's symbol-guess table. */
  private static final int GUESS_SHIFT = 10;

  /** Buckets of the 16-bit count space in a symbol-guess table. */
  public static final int GUESS_BUCKETS = 0x10000 >>> GUESS_SHIFT;

  private final byte[] data;
  private final int end;
  private int index;
  private long buf; // unread input bits, left-aligned
  private int bufBits;
  private long value;
  private long low;
  private long high = MASK;

  /** A decoder of the stream {@code data[start, start+length)}. */
  public ArithmeticDecoder(byte[] data, int start, int length) {
    if (start < 0 || length < 0) {
      throw new IllegalArgumentException("negative stream bounds");
    }
    this.data = data;
    this.end = (int) Math.min(data.length, (long) start + length);
    this.index = start;
    refill();
    value = buf >>> 32;
    buf <<= 32;
    bufBits -= 32;
  }

  /**
   * Tops the bit register up to at least 32 bits: four bytes at once inside the stream, byte by
   * byte (zeros past its end) near it. Out of {@link #next}, which must stay small enough for the
   * JIT to inline it into the callers' loops.
   */
  private void refill() {
    if (index + 4 <= end) {
      buf |= ((int) INT_BE.get(data, index) & MASK) << (32 - bufBits);
      index += 4;
      bufBits += 32;
    } else {
      refillTail();
    }
  }

  /** The end of the stream: byte by byte, zeros past it. */
  private void refillTail() {
    while (bufBits <= 56) {
      buf |= (index < end ? data[index] & 0xFFL : 0) << (56 - bufBits);
      index++;
      bufBits += 8;
    }
  }

  /**
   * Fills {@code out[outOffset .. +GUESS_BUCKETS)} with, per bucket of counts, the largest symbol
   * of the table at {@code cdf[cdfOffset ..]} whose range starts at or below the bucket: the
   * decoder's search starts there, and for the likely symbols (thousands of counts wide) a bucket
   * lies inside one symbol, so the scan after it takes no step and its branch predicts well. The
   * scan ends at the table's last entry (0xFFFF, above every bucket), so no length is needed.
   */
  public static void guesses(char[] cdf, int cdfOffset, byte[] out, int outOffset) {
    int s = 0;
    for (int b = 0; b < GUESS_BUCKETS; b++) {
      while (cdf[cdfOffset + s + 1] <= b << GUESS_SHIFT) {
        s++;
      }
      out[outOffset + b] = (byte) s;
    }
  }

  /**
   * Decodes {@code n} symbols, all under the reference-format table {@code cdf[cdfOffset ..]}
   * ({@code lp} entries), from {@code data[start, start+length)} into {@code symbols[to +
   * i*stride]}.
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
    char[] table = ArithmeticCoder.table(cdf, cdfOffset, lp);
    byte[] guess = new byte[GUESS_BUCKETS];
    guesses(table, 0, guess, 0);
    ArithmeticDecoder stream = new ArithmeticDecoder(data, start, length);
    for (int i = 0; i < n; i++) {
      symbols[to + i * stride] = (byte) stream.next(table, 0, guess, 0);
    }
  }

  /**
   * The next symbol under the table at {@code cdf[cdfOffset ..]} (held as in {@link
   * ArithmeticCoder#table}) with its guesses at {@code guess[guessOffset ..]}.
   */
  public int next(char[] cdf, int cdfOffset, byte[] guess, int guessOffset) {
    long span = high - low + 1;
    // a malformed stream can push count outside [0, 0xFFFF]; the clamp keeps the scan inside the
    // table, and 0xFFFF itself lies in the top symbol's range as 0xFFFE does
    long count = Math.max(0, Math.min(0xFFFE, ((value - low + 1) * 0x10000L - 1) / span));
    int s = guess[guessOffset + (int) (count >>> GUESS_SHIFT)] & 0xFF;
    while (cdf[cdfOffset + s + 1] <= count) { // ends at the table's last entry, 0xFFFF
      s++;
    }
    advance(span, cdf[cdfOffset + s], ArithmeticCoder.upper(cdf[cdfOffset + s + 1]));
    return s;
  }

  /**
   * Narrows the range to the decoded symbol's {@code [cLow, cHigh)} and renormalises. Apart from
   * {@link #next} so that each of the two stays small enough for the JIT to inline.
   */
  private void advance(long span, long cLow, long cHigh) {
    high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
    low = (low + ((span * cLow) >>> 16)) & MASK;
    // renormalise as the encoder did, without branches on k and m (either may be 0): the bits
    // consumed come from the stream; (buf >>> 1) >>> (63 - k) is the top k bits, 0 when k = 0.
    // Every shift doubles the range, which is at least 2^14 here, so k + m <= 18 < 32
    if (bufBits < 32) {
      refill();
    }
    // low == high (k = 32) is impossible for a valid table; & 31 keeps the shifts in range
    int k = Integer.numberOfLeadingZeros((int) (low ^ high)) & 31;
    low = (low << k) & MASK;
    high = ((high << k) | ((1L << k) - 1)) & MASK;
    value = ((value << k) | ((buf >>> 1) >>> (63 - k))) & MASK;
    buf <<= k;
    bufBits -= k;
    int m = Integer.numberOfLeadingZeros(~((int) (low & ~high) << 1));
    // E3 (low is 0…, high 1… here, so m = 0 changes nothing): on a value inside [low, high]
    // (bits 01… or 10…) subtracting 2^30 and shifting keeps the top bit and shifts the other 31
    low = (low << m) & 0x7FFFFFFFL;
    high = ((high << m) & MASK) | HALF | ((1L << m) - 1);
    value = (value & HALF) | ((value << m) & 0x7FFFFFFFL) | ((buf >>> 1) >>> (63 - m));
    buf <<= m;
    bufBits -= m;
  }
}
