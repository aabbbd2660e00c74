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
    byte[] stream = new ArithmeticCoder().encode(symbols, 0, 1, n, cdf, 0, maxBins + 1);
    byte[] back = new byte[n];
    ArithmeticCoder.decode(stream, 0, stream.length, n, cdf, 0, maxBins + 1, back, 0, 1);
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
    byte[] stream = new ArithmeticCoder().encode(symbols, 0, 1, 256, cdf, 0, 17);
    assertTrue(stream.length <= 4, "length " + stream.length);
    byte[] back = new byte[256];
    ArithmeticCoder.decode(stream, 0, stream.length, 256, cdf, 0, 17, back, 0, 1);
    assertEquals(7, back[255]);
  }
}
