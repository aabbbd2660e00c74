package dev.coemesh.kv.codec;

import java.util.Arrays;

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
   * The reference CDFs of {@code c} interleaved streams at once, {@code symbols[from + t*c + ch]}
   * for {@code t < n}: one contiguous pass instead of {@code c} strided ones. {@code counts} is
   * scratch of at least {@code c * (maxBins + 1)} entries; the tables go to {@code out[outOffset +
   * ch*(maxBins+1) ...]}.
   */
  public static void cdfs(
      byte[] symbols, int from, int n, int c, int maxBins, int[] counts, int[] out, int outOffset) {
    int lp = maxBins + 1;
    Arrays.fill(counts, 0, c * lp, 0);
    for (int t = 0, at = from; t < n; t++, at += c) {
      for (int ch = 0; ch < c; ch++) {
        counts[ch * lp + symbols[at + ch] + 1]++; // [channel][symbol + 1]
      }
    }
    for (int ch = 0; ch < c; ch++) {
      long cumulative = 0;
      for (int i = 0; i < lp; i++) {
        cumulative += counts[ch * lp + i];
        out[outOffset + ch * lp + i] =
            n == 0
                ? (int) ((0xFFFFL - maxBins) * i / maxBins) + i
                : (int) ((0xFFFFL - maxBins) * cumulative / n) + i;
      }
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
