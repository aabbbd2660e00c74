package dev.coemesh.kv.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The encoding half of CacheGen's 32-bit arithmetic coder ({@link ArithmeticCoder}), bit for bit as
 * the reference kernel: bits MSB-first, the last byte zero-padded.
 *
 * <p>The reference renormalises one bit per loop step. Here each symbol renormalises in two bulk
 * steps with the same result: E1/E2 shifts out every leading bit on which {@code low} and {@code
 * high} agree at once (a count of leading zeros of {@code low ^ high}), then E3 shifts out the run
 * of underflow bits ({@code low = 01…}, {@code high = 10…}) at once; the settled bits and the
 * pending underflow bits leave in one write through a 64-bit register held in locals. (Coding two
 * streams in lockstep, which speeds the decoder up, measured no faster here.)
 *
 * <p>An instance appends streams to its own buffer; not thread-safe.
 */
public final class ArithmeticEncoder {
  private static final long MASK = 0xFFFFFFFFL;
  private static final long HALF = 0x80000000L;
  private static final VarHandle INT_BE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private byte[] out = new byte[1 << 12];
  private int size; // bytes in out
  // the bit register between the hot loop and the slow writers below: output bits not yet in out,
  // right-aligned, fewer than 32 after each write
  private long acc;
  private int accBits;

  /** Forgets every appended stream. */
  public void reset() {
    size = 0;
  }

  /** The appended streams, back to back; valid up to {@link #size()}. */
  public byte[] buffer() {
    return out;
  }

  public int size() {
    return size;
  }

  /** Encodes {@code n} symbols {@code symbols[from + i*stride]} as one new stream. */
  public byte[] encode(
      byte[] symbols, int from, int stride, int n, int[] cdf, int cdfOffset, int lp) {
    reset();
    int length = append(symbols, from, stride, n, cdf, cdfOffset, lp);
    return Arrays.copyOf(out, length);
  }

  /**
   * Appends the stream of {@code n} symbols {@code symbols[from + i*stride]}, all under the
   * reference-format table at {@code cdf[cdfOffset ..]} ({@code lp} entries), to the buffer,
   * starting on a byte boundary; returns its length in bytes.
   */
  public int append(byte[] symbols, int from, int stride, int n, int[] cdf, int cdfOffset, int lp) {
    byte[] gathered = new byte[n];
    for (int i = 0; i < n; i++) {
      gathered[i] = symbols[from + i * stride];
    }
    return append(gathered, new int[n], n, ArithmeticCoder.table(cdf, cdfOffset, lp));
  }

  /**
   * Appends one stream to the buffer, starting on a byte boundary, and returns its length in bytes:
   * symbol {@code symbols[i] & 0xFF} under the table at {@code cdf[offsets[i] ..]}, for {@code i <
   * n}. Tables are reference tables held as in {@link ArithmeticCoder#table}: a symbol's bounds are
   * its entry and the next, whatever the table's alphabet, so one stream can switch tables (and
   * alphabets) per symbol.
   */
  public int append(byte[] symbols, int[] offsets, int n, char[] cdf) {
    room(n);
    int begin = size;
    byte[] buf = out;
    int pos = size;
    long bits = 0; // the bit register, in locals for the loop
    int count = 0;
    long low = 0;
    long high = MASK;
    int pending = 0;
    for (int i = 0; i < n; i++) {
      int at = offsets[i] + (symbols[i] & 0xFF);
      long span = high - low + 1;
      long cLow = cdf[at];
      long cHigh = ArithmeticCoder.upper(cdf[at + 1]);
      high = (low - 1 + ((span * cHigh) >>> 16)) & MASK;
      low = (low + ((span * cLow) >>> 16)) & MASK;
      // E1/E2: the k leading bits on which low and high agree are final
      int k = Integer.numberOfLeadingZeros((int) (low ^ high));
      if (k > 0) {
        long settled = low >>> (32 - k);
        long head = settled >>> (k - 1);
        long rest = settled & ((1L << (k - 1)) - 1);
        if (k + pending <= 32) {
          // the first settled bit, the pending underflow bits as its complement, the other k - 1
          // settled bits: one write, no branch on their values
          long run = ((1L << pending) - 1) & (head - 1); // ones after a 0, zeros after a 1
          int len = k + pending;
          bits = (bits << len) | (head << (len - 1)) | (run << (k - 1)) | rest;
          count += len;
          if (count >= 32) {
            count -= 32;
            INT_BE.set(buf, pos, (int) (bits >>> count));
            pos += 4;
            bits &= (1L << count) - 1;
          }
        } else {
          // over 32 bits (a long underflow run, rare): the same bits through the slow writers
          size = pos;
          acc = bits;
          accBits = count;
          write(head, 1);
          writeRun(1 - (int) head, pending);
          write(rest, k - 1);
          pos = size;
          bits = acc;
          count = accBits;
        }
        pending = 0;
        low = (low << k) & MASK;
        high = ((high << k) | ((1L << k) - 1)) & MASK;
      }
      // E3: now low = 0…, high = 1…; each further position with low 1 and high 0 is an underflow
      // bit; m = 0 changes neither
      int m = Integer.numberOfLeadingZeros(~((int) (low & ~high) << 1));
      pending += m;
      low = (low << m) & 0x7FFFFFFFL;
      high = ((high << m) & MASK) | HALF | ((1L << m) - 1);
    }
    size = pos;
    acc = bits;
    accBits = count;
    // termination as the reference: one bit and the pending ones, then zero-padding to a byte
    int bit = low < 0x40000000L ? 0 : 1;
    write(bit, 1);
    writeRun(1 - bit, pending + 1);
    while (accBits >= 8) {
      accBits -= 8;
      out[size++] = (byte) (acc >>> accBits);
    }
    if (accBits > 0) {
      out[size++] = (byte) (acc << (8 - accBits));
    }
    return size - begin;
  }

  /**
   * Grows the buffer so that {@code n} symbols fit. With a strictly increasing table a symbol keeps
   * at least 2^-16 of a range above 2^30, so it shifts out at most 17 bits (k + m); three bytes a
   * symbol, plus the termination and a 4-byte write's slack, cover any stream without a check in
   * the loop. (A stream is a slot's tokens × channels symbols, so a looser bound would make the
   * buffer grow, and be copied, far beyond what the streams need.)
   */
  private void room(int n) {
    long needed = size + 3L * n + 64;
    if (needed > out.length) {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("arithmetic coder buffer would exceed 2 GiB");
      }
      out =
          Arrays.copyOf(
              out, (int) Math.max(needed, Math.min(2L * out.length, Integer.MAX_VALUE - 16)));
    }
  }

  /** Appends the low {@code n} (0..32) bits of {@code bits}, most significant first. */
  private void write(long bits, int n) {
    acc = (acc << n) | bits; // < 32 + 32 bits
    accBits += n;
    if (accBits >= 32) {
      accBits -= 32;
      INT_BE.set(out, size, (int) (acc >>> accBits));
      size += 4;
      acc &= (1L << accBits) - 1;
    }
  }

  /** Appends {@code count} copies of {@code bit}. */
  private void writeRun(int bit, int count) {
    long ones = bit == 0 ? 0 : MASK;
    while (count > 0) {
      int n = Math.min(count, 32);
      write(ones >>> (32 - n), n);
      count -= n;
    }
  }
}
