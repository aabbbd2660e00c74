package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArithmeticCoderTest {

  @Test
  void theCdfFollowsTheReferenceFormula() {
    byte[] symbols = {0, 0, 1, 3};
    int[] cdf = new int[5];
    ArithmeticCoder.cdf(symbols, 0, 1, 4, 4, cdf, 0);
    // cum = [0, 2, 3, 3, 4]; cdf[i] = floor((0xFFFF-4)*cum[i]/4) + i
    assertArrayEquals(new int[] {0, 32765 + 1, 49148 + 2, 49148 + 3, 65531 + 4}, cdf);
  }

  @Test
  void skewedStreamsRoundTripAndCompressBelowTheirRawBits() {
    SplittableRandom r = new SplittableRandom(3);
    int n = 256;
    int maxBins = 32;
    byte[] symbols = new byte[n];
    for (int i = 0; i < n; i++) {
      symbols[i] = (byte) Math.min(30, Math.max(0, (int) Math.round(15 + r.nextGaussian() * 2)));
    }
    int[] cdf = new int[maxBins + 1];
    ArithmeticCoder.cdf(symbols, 0, 1, n, maxBins, cdf, 0);
    byte[] stream = new ArithmeticEncoder().encode(symbols, 0, 1, n, cdf, 0, maxBins + 1);
    byte[] back = new byte[n];
    ArithmeticDecoder.decode(stream, 0, stream.length, n, cdf, 0, maxBins + 1, back, 0, 1);
    assertArrayEquals(symbols, back);
    // entropy of a sd-2 Gaussian is ~3 bits; 5 bits raw per symbol
    assertTrue(stream.length * 8 < n * 4, "coded " + stream.length * 8 + " bits");
  }

  @Test
  void aConstantStreamCodesToAFewBytes() {
    byte[] symbols = new byte[256];
    java.util.Arrays.fill(symbols, (byte) 7);
    int[] cdf = new int[17];
    ArithmeticCoder.cdf(symbols, 0, 1, 256, 16, cdf, 0);
    byte[] stream = new ArithmeticEncoder().encode(symbols, 0, 1, 256, cdf, 0, 17);
    assertTrue(stream.length <= 4, "length " + stream.length);
    byte[] back = new byte[256];
    ArithmeticDecoder.decode(stream, 0, stream.length, 256, cdf, 0, 17, back, 0, 1);
    assertEquals(7, back[255]);
  }

  @Test
  void bulkRenormalisationMatchesTheReferenceCoderBitForBit() {
    SplittableRandom r = new SplittableRandom(11);
    ArithmeticEncoder coder = new ArithmeticEncoder();
    for (int trial = 0; trial < 3_000; trial++) {
      int maxBins = new int[] {12, 16, 32, 47}[trial % 4];
      int lp = maxBins + 1;
      int n = r.nextInt(257);
      // from near-constant to near-uniform streams, with the top symbol (upper bound 0x10000)
      double spread = 0.01 + r.nextDouble() * maxBins / 2.0;
      double centre = r.nextDouble() * (maxBins - 1);
      byte[] symbols = new byte[n];
      for (int i = 0; i < n; i++) {
        long s = Math.round(centre + r.nextGaussian() * spread);
        symbols[i] = (byte) Math.max(0, Math.min(maxBins - 1, s));
      }
      int[] cdf = new int[lp];
      if (trial % 5 == 0) {
        // a table from other data: symbols it rates unlikely cost many bits and long E3 runs
        byte[] other = new byte[64];
        java.util.Arrays.fill(other, (byte) (trial % maxBins));
        ArithmeticCoder.cdf(other, 0, 1, other.length, maxBins, cdf, 0);
      } else {
        ArithmeticCoder.cdf(symbols, 0, 1, n, maxBins, cdf, 0);
      }
      byte[] expected = ReferenceArithmeticCoder.encode(symbols, n, cdf, lp);
      byte[] actual = coder.encode(symbols, 0, 1, n, cdf, 0, lp);
      assertArrayEquals(expected, actual, "trial " + trial);
      byte[] back = new byte[n];
      ArithmeticDecoder.decode(actual, 0, actual.length, n, cdf, 0, lp, back, 0, 1);
      assertArrayEquals(symbols, back, "trial " + trial);
      assertArrayEquals(ReferenceArithmeticCoder.decode(actual, n, cdf, lp), back);
    }
  }

  @Test
  void appendedStreamsDecodeFromTheirOffsets() {
    byte[] symbols = new byte[3 * 100]; // [token][channel] with 3 channels
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < symbols.length; i++) {
      symbols[i] = (byte) r.nextInt(15);
    }
    int[] cdf = new int[17];
    ArithmeticCoder.cdf(symbols, 0, 1, symbols.length, 16, cdf, 0);
    ArithmeticEncoder coder = new ArithmeticEncoder();
    int[] lengths = new int[3];
    for (int ch = 0; ch < 3; ch++) {
      lengths[ch] = coder.append(symbols, ch, 3, 100, cdf, 0, 17);
    }
    assertEquals(lengths[0] + lengths[1] + lengths[2], coder.size());
    byte[] back = new byte[symbols.length];
    for (int ch = 0, at = 0; ch < 3; at += lengths[ch], ch++) {
      ArithmeticDecoder.decode(coder.buffer(), at, lengths[ch], 100, cdf, 0, 17, back, ch, 3);
    }
    assertArrayEquals(symbols, back);
  }

  @Test
  void aStreamThatSwitchesTablesPerSymbolRoundTripsAndMalformedOnesStayInBounds() {
    SplittableRandom r = new SplittableRandom(17);
    ArithmeticEncoder coder = new ArithmeticEncoder();
    int[] alphabets = {6, 33, 64, 256};
    for (int trial = 0; trial < 500; trial++) {
      // one extended table per alphabet, from skewed random counts, back to back
      int[] offsets = new int[alphabets.length];
      int size = 0;
      for (int a = 0; a < alphabets.length; a++) {
        offsets[a] = size;
        size += alphabets[a] + 1;
      }
      int[] reference = new int[size];
      byte[] guess = new byte[alphabets.length * ArithmeticDecoder.GUESS_BUCKETS];
      for (int a = 0; a < alphabets.length; a++) {
        long[] counts = new long[alphabets[a]];
        for (int i = 0; i < 50; i++) {
          counts[(int) Math.min(alphabets[a] - 1, Math.abs(r.nextGaussian()) * 3)]++;
        }
        ArithmeticCoder.cdfFromCounts(counts, 0, alphabets[a], reference, offsets[a]);
      }
      char[] cdf = ArithmeticCoder.table(reference, 0, size);
      for (int a = 0; a < alphabets.length; a++) {
        ArithmeticDecoder.guesses(cdf, offsets[a], guess, a * ArithmeticDecoder.GUESS_BUCKETS);
      }
      int n = 1 + r.nextInt(400);
      int[] table = new int[n];
      int[] at = new int[n];
      byte[] symbols = new byte[n];
      for (int i = 0; i < n; i++) {
        table[i] = r.nextInt(alphabets.length);
        at[i] = offsets[table[i]];
        symbols[i] = (byte) r.nextInt(alphabets[table[i]]); // unlikely symbols too
      }
      coder.reset();
      int length = coder.append(symbols, at, n, cdf);
      byte[] data = java.util.Arrays.copyOf(coder.buffer(), coder.size());
      boolean garbage = trial % 3 == 0;
      if (garbage) { // garbage in the stream, and the stream cut short: symbols stay in bounds
        for (int i = 0; i < 4; i++) {
          data[r.nextInt(data.length)] = (byte) r.nextInt(256);
        }
        length = Math.max(0, length - r.nextInt(4));
      }
      ArithmeticDecoder a = new ArithmeticDecoder(data, 0, length);
      ArithmeticDecoder b = new ArithmeticDecoder(data, 0, length); // in lockstep with a
      for (int i = 0; i < n; i++) {
        int guesses = table[i] * ArithmeticDecoder.GUESS_BUCKETS;
        int s = a.next(cdf, at[i], guess, guesses);
        assertEquals(s, b.next(cdf, at[i], guess, guesses));
        assertTrue(s >= 0 && s < alphabets[table[i]], "symbol " + s);
        if (!garbage) {
          assertEquals(symbols[i] & 0xFF, s, "trial " + trial + " symbol " + i);
        }
      }
    }
  }

  @Test
  void longUnderflowRunsMatchTheReferenceCoder() {
    // symbol 1 is a sliver around one half: coding it keeps the interval straddling the midpoint,
    // so its bits pile up as pending underflow bits (well over 32 before they resolve)
    int[] cdf = {0, 0x7FF0, 0x8010, 0xFFFF};
    int lp = cdf.length;
    SplittableRandom r = new SplittableRandom(23);
    ArithmeticEncoder coder = new ArithmeticEncoder();
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(64);
      byte[] symbols = new byte[n];
      for (int i = 0; i < n; i++) {
        symbols[i] = (byte) (r.nextInt(8) == 0 ? r.nextInt(3) : 1);
      }
      byte[] expected = ReferenceArithmeticCoder.encode(symbols, n, cdf, lp);
      byte[] actual = coder.encode(symbols, 0, 1, n, cdf, 0, lp);
      assertArrayEquals(expected, actual, "trial " + trial);
      byte[] back = new byte[n];
      ArithmeticDecoder.decode(actual, 0, actual.length, n, cdf, 0, lp, back, 0, 1);
      assertArrayEquals(symbols, back, "trial " + trial);
    }
  }
}
