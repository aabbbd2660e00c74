package dev.coemesh.pool.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.request.SamplingParams;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {

  @Test
  void topIndicesOrdersByLogitThenIndexIncludingNegativesAndTies() {
    float[] logits = {-1f, 3f, 3f, -7.5f, 0f, 2.5f, -0f};
    assertArrayEquals(new int[] {1, 2, 5}, Sampler.topIndices(logits, 3));
    assertArrayEquals(new int[] {1, 2, 5, 4, 6, 0, 3}, Sampler.topIndices(logits, 100));
  }

  @Test
  void topKOneIsGreedyAndTopPKeepsOnlyTheNucleus() {
    float[] logits = {0f, 5f, 4.9f, -3f};
    Sampler topK1 = new Sampler(new SamplingParams(1.0, 1, 1.0, 3, 10, List.of(), List.of(), -1));
    for (int i = 0; i < 20; i++) {
      assertEquals(1, topK1.sample(logits).token());
    }
    // p(1) ≈ 0.52, p(2) ≈ 0.47: a nucleus of 0.5 holds token 1 only
    Sampler nucleus = new Sampler(new SamplingParams(1.0, 0, 0.5, 3, 10, List.of(), List.of(), -1));
    for (int i = 0; i < 20; i++) {
      assertEquals(1, nucleus.sample(logits).token());
    }
    Sampler wide = new Sampler(new SamplingParams(1.0, 0, 0.99, 3, 10, List.of(), List.of(), 2));
    boolean sawTwo = false;
    for (int i = 0; i < 200; i++) {
      Sampler.Pick pick = wide.sample(logits);
      sawTwo |= pick.token() == 2;
      assertTrue(
          pick.token() == 1 || pick.token() == 2 || pick.token() == 0, "token " + pick.token());
      assertEquals(2, pick.topTokens().length);
    }
    assertTrue(sawTwo);
  }

  @Test
  void argmaxIsTheFirstLargestAndSkipsNaNs() {
    assertEquals(0, Sampler.argmax(new float[0]));
    assertEquals(0, Sampler.argmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
    assertEquals(0, Sampler.argmax(new float[] {-0f, 0f, 0f})); // -0 and +0 tie: first wins
    assertEquals(0, Sampler.argmax(new float[] {Float.NaN, 5f}));
    float[] large = new float[32000];
    for (int i = 0; i < large.length; i++) {
      large[i] = (float) Math.sin(i * 0.37) * 10;
    }
    large[31999] = 11f;
    assertEquals(31999, Sampler.argmax(large));
    large[4097] = 11f; // a tie in an earlier block
    assertEquals(4097, Sampler.argmax(large));
    large[20] = Float.NaN;
    assertEquals(4097, Sampler.argmax(large));
    large[3] = Float.POSITIVE_INFINITY;
    assertEquals(3, Sampler.argmax(large));
  }

  @Test
  void argmaxAgreesWithAPlainScanAtEveryLengthAndPosition() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int n : new int[] {1, 15, 16, 17, 63, 64, 65, 1023, 1024, 1025, 4100, 32000}) {
      for (int trial = 0; trial < 20; trial++) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) random.nextDouble(-5, 5);
        }
        v[random.nextInt(n)] = 7f; // the maximum, sometimes twice
        v[random.nextInt(n)] = 7f;
        int expected = 0;
        for (int i = 1; i < n; i++) {
          if (v[i] > v[expected]) {
            expected = i;
          }
        }
        assertEquals(expected, Sampler.argmax(v), "n=" + n);
      }
    }
  }
}
