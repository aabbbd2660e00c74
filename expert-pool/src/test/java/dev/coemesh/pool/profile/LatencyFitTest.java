package dev.coemesh.pool.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyFitTest {
  // DistServe's OPT-13B TP1 prefill coefficients (ALGORITHMS.md 2.2) as the truth to recover
  private static final double A = 18.10;
  private static final double B = 0.1019;
  private static final double C = 7.12e-6;

  private static List<PhaseProfile.Point> prefillGrid(double noise, long seed) {
    Random random = new Random(seed);
    List<PhaseProfile.Point> points = new ArrayList<>();
    for (int len = 16; len <= 2048; len *= 2) {
      for (int batch = 1; batch <= 8; batch *= 2) {
        int[] lens = new int[batch];
        java.util.Arrays.fill(lens, len);
        double sum = (double) batch * len;
        double truth = A + B * sum + C * batch * (double) len * len;
        points.add(new PhaseProfile.Point(lens, truth * (1 + noise * random.nextGaussian())));
      }
    }
    return points;
  }

  @Test
  void exactPointsGiveTheCoefficientsBack() {
    PhaseProfile p = PhaseProfile.fitted(PhaseProfile.PREFILL_FORM, prefillGrid(0, 1));
    assertEquals(A, p.aMs(), 1e-6 * A);
    assertEquals(B, p.bMs(), 1e-6 * B);
    assertEquals(C, p.cMs(), 1e-6 * C);
    assertEquals(1.0, p.r2(), 1e-9);
  }

  @Test
  void noisyPointsGiveThemBackRoughly() {
    // 1% multiplicative noise. Over 200 seeds of this grid the 99th-percentile errors were 1.6 ms
    // (a), 2.8% (b) and 28% (c): the quadratic term is at most 1/8 of a point's latency here, so
    // it is the least determined; the tolerances below are about twice those.
    PhaseProfile p = PhaseProfile.fitted(PhaseProfile.PREFILL_FORM, prefillGrid(0.01, 7));
    assertEquals(A, p.aMs(), 3.0);
    assertEquals(B, p.bMs(), 0.06 * B);
    assertEquals(C, p.cMs(), 0.5 * C);
    assertTrue(p.r2() > 0.99 && p.r2() < 1, "R2 " + p.r2());
    // the fitted model predicts a point it was not fitted to within a few percent
    double truth = A + B * 3 * 1000 + C * 3 * 1000.0 * 1000;
    assertEquals(truth, p.predictMs(1000, 1000, 1000), 0.05 * truth);
  }

  @Test
  void decodeFormUsesContextSumAndBatch() {
    List<PhaseProfile.Point> points = new ArrayList<>();
    for (int batch = 1; batch <= 16; batch *= 2) {
      for (int ctx = 16; ctx <= 1024; ctx *= 4) {
        int[] lens = new int[batch];
        java.util.Arrays.fill(lens, ctx);
        points.add(new PhaseProfile.Point(lens, 19.93 + 6.27e-4 * batch * ctx + 0.0385 * batch));
      }
    }
    PhaseProfile p = PhaseProfile.fitted(PhaseProfile.DECODE_FORM, points);
    assertEquals(19.93, p.aMs(), 1e-6);
    assertEquals(6.27e-4, p.bMs(), 1e-9);
    assertEquals(0.0385, p.cMs(), 1e-8);
  }

  @Test
  void collinearOrTooFewPointsAreRejected() {
    List<PhaseProfile.Point> oneBatch = new ArrayList<>();
    for (int ctx = 16; ctx <= 256; ctx *= 2) {
      oneBatch.add(new PhaseProfile.Point(new int[] {ctx}, ctx * 0.01));
    }
    // batch is always 1: the constant and the batch term cannot be told apart
    assertThrows(
        IllegalArgumentException.class,
        () -> PhaseProfile.fitted(PhaseProfile.DECODE_FORM, oneBatch));
    assertThrows(
        IllegalArgumentException.class,
        () -> PhaseProfile.fitted(PhaseProfile.DECODE_FORM, oneBatch.subList(0, 2)));
  }
}
