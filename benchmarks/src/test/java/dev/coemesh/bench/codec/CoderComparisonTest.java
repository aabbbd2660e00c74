package dev.coemesh.bench.codec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.kv.codec.CodecLevel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CoderComparisonTest {

  @Test
  void ransRoundTripsTheSameStreamsAtAboutTheArithmeticCodersSize() {
    CoderComparison.CoderResult r =
        CoderComparison.coders(sample(3, 300, 32, 21), CodecLevel.LEVEL_2);
    double ratio = (double) r.ransBytes() / r.arithmeticBytes();
    assertTrue(ratio > 0.9 && ratio < 1.3, "rANS/AC size " + ratio);
  }

  @Test
  void anchorCodingReconstructsWithinAFewQuantizationSteps() {
    CoderComparison.AnchorResult r =
        CoderComparison.anchors(sample(2, 100, 16, 22), CodecLevel.LEVEL_3, 10);
    assertTrue(r.anchorBytes() > 0 && r.plainBytes() > 0);
    assertTrue(r.anchorMse() < 1.0 && r.plainMse() < 1.0, r.toString());
  }

  /** KV-like data: per-channel offsets and scales, heavier tails in every seventh channel. */
  private static KvTensor sample(int layers, int tokens, int c, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    KvTensor kv = KvTensor.zeros(layers, tokens, c);
    for (int l = 0; l < layers; l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        for (int t = 0; t < tokens; t++) {
          for (int ch = 0; ch < c; ch++) {
            double base = Math.sin(ch * 0.7 + l) * (1 + ch % 5);
            kv.data()[kv.offset(l, kvi, t) + ch] =
                (float) (base + r.nextGaussian() * 0.3 * (ch % 7 == 0 ? 5 : 1));
          }
        }
      }
    }
    return kv;
  }
}
