package dev.coemesh.kv.codec;

/**
 * CacheGen's 32-bit arithmetic coder with 16-bit cumulative frequencies and carry-less (E1/E2/E3)
 * renormalisation (ALGORITHMS.md §1.4): {@link ArithmeticEncoder} and {@link ArithmeticDecoder}
 * produce and read the reference kernels' streams bit for bit. This class holds the reference's
 * frequency tables.
 *
 * <p>A table has {@code lp} entries, strictly increasing from 0, with {@code cdf[lp-1] = 0xFFFF};
 * symbols are 0..lp-2 and the top symbol's upper bound is 0x10000.
 */
public final class ArithmeticCoder {
  private ArithmeticCoder() {}

  /**
   * The reference-format table at {@code cdf[offset ..]} ({@code lp} entries) as the coders hold
   * tables: 16-bit entries (half the cache footprint of ints, which decides the decoder's speed
   * with thousands of tables). A table ends at 0xFFFF and the reference gives its top symbol the
   * upper bound 0x10000, so the coders read a symbol's upper bound {@code v} as {@link #upper}.
   */
  static char[] table(int[] cdf, int offset, int lp) {
    char[] out = new char[lp];
    for (int i = 0; i < lp; i++) {
      out[i] = (char) cdf[offset + i];
    }
    return out;
  }

  /**
   * A symbol's upper bound from the table entry after it: the entry, except 0x10000 for the last
   * one (0xFFFF, which no other entry of a strictly increasing table can be). Branch-free.
   */
  static long upper(int entry) {
    return entry + ((entry + 1) >>> 16);
  }

  /**
   * A table by the reference rule from symbol counts: {@code cdf[i] = floor((0xFFFF - alphabet) *
   * (#symbols < i) / n) + i} for {@code i <= alphabet}; uniform when there are no symbols. The
   * {@code + i} gives every symbol, seen or not, a non-zero width.
   */
  static void cdfFromCounts(
      long[] counts, int countOffset, int alphabet, int[] out, int outOffset) {
    long n = 0;
    for (int s = 0; s < alphabet; s++) {
      n += counts[countOffset + s];
    }
    long cumulative = 0;
    for (int i = 0; i <= alphabet; i++) {
      out[outOffset + i] =
          n == 0
              ? (int) ((0xFFFFL - alphabet) * i / alphabet) + i
              : (int) ((0xFFFFL - alphabet) * cumulative / n) + i;
      if (i < alphabet) {
        cumulative += counts[countOffset + i];
      }
    }
  }

  /**
   * The reference CDF of one stream's symbols: {@code cdf[i] = floor((0xFFFF - maxBins) * (#symbols
   * < i) / n) + i}, {@code lp = maxBins + 1} entries.
   */
  public static void cdf(
      byte[] symbols, int from, int stride, int n, int maxBins, int[] out, int outOffset) {
    long[] counts = new long[maxBins];
    for (int i = 0; i < n; i++) {
      counts[symbols[from + i * stride]]++;
    }
    cdfFromCounts(counts, 0, maxBins, out, outOffset);
  }
}
