package dev.coemesh.kv.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The decoding half of CacheGen's 32-bit arithmetic coder ({@link ArithmeticCoder}), with the same
 * bulk renormalisation as {@link ArithmeticEncoder}, input through a 64-bit register, a per-stream
 * guess table in place of the reference's binary search, and {@link #decodePair} to decode two
 * streams in lockstep. Static and thread-safe; with a prepared guess table, allocation-free.
 */
public final class ArithmeticDecoder {
  private static final long MASK = 0xFFFFFFFFL;
  private static final long HALF = 0x80000000L;
  private static final VarHandle INT_BE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private ArithmeticDecoder() {}

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

  /** log2 of the counts per bucket of a stream's symbol-guess table. */
  private static final int GUESS_SHIFT = 8;

  /** Buckets of the 16-bit count space in a stream's symbol-guess table. */
  public static final int GUESS_BUCKETS = 0x10000 >>> GUESS_SHIFT;

  /**
   * Fills {@code out[outOffset .. +256)} with, per bucket of 256 counts, the largest symbol whose
   * cumulative frequency starts at or below the bucket: the decoder's search starts there, and for
   * the likely symbols (thousands of counts wide) a bucket lies inside one symbol, so the scan
   * after it takes no step and its branch predicts well. One sweep over buckets and table.
   */
  public static void guesses(int[] cdf, int cdfOffset, int lp, byte[] out, int outOffset) {
    int top = lp - 2;
    int s = 0;
    for (int b = 0; b < GUESS_BUCKETS; b++) {
      while (s < top && cdf[cdfOffset + s + 1] <= b << GUESS_SHIFT) {
        s++;
      }
      out[outOffset + b] = (byte) s;
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
    if (start < 0 || length < 0) {
      throw new IllegalArgumentException("negative stream bounds");
    }
    int end = (int) Math.min(data.length, (long) start + length);
    int index = start;
    long buf = 0; // unread input bits, left-aligned
    int bufBits = 0;
    while (bufBits <= 56) {
      buf |= (index < end ? data[index] & 0xFFL : 0) << (56 - bufBits);
      index++;
      bufBits += 8;
    }
    long value = buf >>> 32;
    buf <<= 32;
    bufBits -= 32;
    long low = 0;
    long high = MASK;
    int top = lp - 2;
    for (int i = 0, at = to; i < n; i++, at += stride) {
      long span = high - low + 1;
      long count = ((value - low + 1) * 0x10000L - 1) / span;
      // a malformed stream can push count outside [0, 0xFFFF]; clamp so the scan stays in bounds
      count = Math.max(0, Math.min(0xFFFF, count));
      int s = guess[guessOffset + (int) (count >>> GUESS_SHIFT)];
      while (s < top && cdf[cdfOffset + s + 1] <= count) {
        s++;
      }
      symbols[at] = (byte) s;
      if (i == n - 1) {
        break;
      }
      long cLow = cdf[cdfOffset + s];
      long cHigh = s == top ? 0x10000 : cdf[cdfOffset + s + 1];
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      // renormalise as the encoder did, without branches on k and m (either may be 0): the bits
      // consumed come from the stream; (buf >>> 1) >>> (63 - k) is the top k bits, 0 when k = 0.
      // Every shift doubles the range, which is at least 2^14 here, so k + m <= 18 < 32
      if (bufBits < 32) {
        if (index + 4 <= end) {
          buf |= ((int) INT_BE.get(data, index) & MASK) << (32 - bufBits);
          index += 4;
          bufBits += 32;
        } else {
          while (bufBits <= 56) {
            buf |= (index < end ? data[index] & 0xFFL : 0) << (56 - bufBits);
            index++;
            bufBits += 8;
          }
        }
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

  /**
   * Decodes two streams at once, in lockstep: stream A from {@code data[start, start+lengthA)} with
   * table {@code cdfOffset} and guesses {@code guessOffset}, into {@code symbols[to + i*stride]};
   * stream B right after it ({@code lengthB} bytes) with the next table and guesses, into {@code
   * symbols[to + 1 + i*stride]} (the next channel). One stream is a serial chain (divide, search,
   * multiply, shift); two independent chains let the core overlap them. Same results and the same
   * robustness as {@link #decode(byte[], int, int, int, int[], int, int, byte[], int, int, byte[],
   * int)}, applied to each stream.
   */
  public static void decodePair(
      byte[] data,
      int start,
      int lengthA,
      int lengthB,
      int n,
      int[] cdf,
      int cdfOffset,
      int lp,
      byte[] symbols,
      int to,
      int stride,
      byte[] guess,
      int guessOffset) {
    if (start < 0 || lengthA < 0 || lengthB < 0) {
      throw new IllegalArgumentException("negative stream bounds");
    }
    int endA = (int) Math.min(data.length, (long) start + lengthA);
    int endB = (int) Math.min(data.length, (long) start + lengthA + lengthB);
    int indexA = start;
    int indexB = endA;
    long bufA = 0;
    long bufB = 0;
    int bitsA = 0;
    int bitsB = 0;
    while (bitsA <= 56) {
      bufA |= (indexA < endA ? data[indexA] & 0xFFL : 0) << (56 - bitsA);
      bufB |= (indexB < endB ? data[indexB] & 0xFFL : 0) << (56 - bitsB);
      indexA++;
      indexB++;
      bitsA += 8;
      bitsB += 8;
    }
    long valueA = bufA >>> 32;
    long valueB = bufB >>> 32;
    bufA <<= 32;
    bufB <<= 32;
    bitsA -= 32;
    bitsB -= 32;
    long lowA = 0;
    long lowB = 0;
    long highA = MASK;
    long highB = MASK;
    int top = lp - 2;
    int cdfA = cdfOffset;
    int cdfB = cdfOffset + lp;
    int guessA = guessOffset;
    int guessB = guessOffset + GUESS_BUCKETS;
    for (int i = 0, at = to; i < n; i++, at += stride) {
      long spanA = highA - lowA + 1;
      long spanB = highB - lowB + 1;
      long countA = Math.max(0, Math.min(0xFFFF, ((valueA - lowA + 1) * 0x10000L - 1) / spanA));
      long countB = Math.max(0, Math.min(0xFFFF, ((valueB - lowB + 1) * 0x10000L - 1) / spanB));
      int sA = guess[guessA + (int) (countA >>> GUESS_SHIFT)];
      int sB = guess[guessB + (int) (countB >>> GUESS_SHIFT)];
      while (sA < top && cdf[cdfA + sA + 1] <= countA) {
        sA++;
      }
      while (sB < top && cdf[cdfB + sB + 1] <= countB) {
        sB++;
      }
      symbols[at] = (byte) sA;
      symbols[at + 1] = (byte) sB;
      if (i == n - 1) {
        break;
      }
      long cHighA = sA == top ? 0x10000 : cdf[cdfA + sA + 1];
      long cHighB = sB == top ? 0x10000 : cdf[cdfB + sB + 1];
      highA = (lowA - 1 + ((spanA * cHighA) >>> 16)) & MASK;
      highB = (lowB - 1 + ((spanB * cHighB) >>> 16)) & MASK;
      lowA = (lowA + ((spanA * cdf[cdfA + sA]) >>> 16)) & MASK;
      lowB = (lowB + ((spanB * cdf[cdfB + sB]) >>> 16)) & MASK;
      if (bitsA < 32) {
        if (indexA + 4 <= endA) {
          bufA |= ((int) INT_BE.get(data, indexA) & MASK) << (32 - bitsA);
          indexA += 4;
          bitsA += 32;
        } else {
          while (bitsA <= 56) {
            bufA |= (indexA < endA ? data[indexA] & 0xFFL : 0) << (56 - bitsA);
            indexA++;
            bitsA += 8;
          }
        }
      }
      if (bitsB < 32) {
        if (indexB + 4 <= endB) {
          bufB |= ((int) INT_BE.get(data, indexB) & MASK) << (32 - bitsB);
          indexB += 4;
          bitsB += 32;
        } else {
          while (bitsB <= 56) {
            bufB |= (indexB < endB ? data[indexB] & 0xFFL : 0) << (56 - bitsB);
            indexB++;
            bitsB += 8;
          }
        }
      }
      int kA = Integer.numberOfLeadingZeros((int) (lowA ^ highA)) & 31;
      int kB = Integer.numberOfLeadingZeros((int) (lowB ^ highB)) & 31;
      lowA = (lowA << kA) & MASK;
      lowB = (lowB << kB) & MASK;
      highA = ((highA << kA) | ((1L << kA) - 1)) & MASK;
      highB = ((highB << kB) | ((1L << kB) - 1)) & MASK;
      valueA = ((valueA << kA) | ((bufA >>> 1) >>> (63 - kA))) & MASK;
      valueB = ((valueB << kB) | ((bufB >>> 1) >>> (63 - kB))) & MASK;
      bufA <<= kA;
      bufB <<= kB;
      bitsA -= kA;
      bitsB -= kB;
      int mA = Integer.numberOfLeadingZeros(~((int) (lowA & ~highA) << 1));
      int mB = Integer.numberOfLeadingZeros(~((int) (lowB & ~highB) << 1));
      lowA = (lowA << mA) & 0x7FFFFFFFL;
      lowB = (lowB << mB) & 0x7FFFFFFFL;
      highA = ((highA << mA) & MASK) | HALF | ((1L << mA) - 1);
      highB = ((highB << mB) & MASK) | HALF | ((1L << mB) - 1);
      valueA = (valueA & HALF) | ((valueA << mA) & 0x7FFFFFFFL) | ((bufA >>> 1) >>> (63 - mA));
      valueB = (valueB & HALF) | ((valueB << mB) & 0x7FFFFFFFL) | ((bufB >>> 1) >>> (63 - mB));
      bufA <<= mA;
      bufB <<= mB;
      bitsA -= mA;
      bitsB -= mB;
    }
  }
}
