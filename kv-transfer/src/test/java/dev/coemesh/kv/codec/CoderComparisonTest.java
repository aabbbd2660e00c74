package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CoderComparisonTest {

  @Test
  void ransRoundTripsTheSameStreamsAtAboutTheArithmeticCodersSize() {
    CoderComparison.CoderResult r =
        CoderComparison.coders(CacheGenCodecTest.sample(3, 300, 32, 21), CodecLevel.LEVEL_2);
    double ratio = (double) r.ransBytes() / r.arithmeticBytes();
    assertTrue(ratio > 0.9 && ratio < 1.3, "rANS/AC size " + ratio);
  }

  @Test
  void anchorCodingReconstructsWithinAFewQuantizationSteps() {
    CoderComparison.AnchorResult r =
        CoderComparison.anchors(CacheGenCodecTest.sample(2, 100, 16, 22), CodecLevel.LEVEL_3, 10);
    assertTrue(r.anchorBytes() > 0 && r.plainBytes() > 0);
    assertTrue(r.anchorMse() < 1.0 && r.plainMse() < 1.0, r.toString());
  }
}
