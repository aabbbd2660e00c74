package dev.coemesh.planner.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DiurnalAndLengthsTest {
  private static final LengthMix MIX =
      new LengthMix(new LengthDistribution.Fixed(10), new LengthDistribution.Fixed(10));

  @Test
  void theDiurnalRateSwingsAroundItsMean() {
    // mean 10 req/s, amplitude 0.5, one cycle over the run: the first half-period (the sine's
    // positive half) carries (1 + 2A/pi) of the mean rate, the second (1 - 2A/pi).
    int count = 200_000;
    List<Request> requests =
        new ArrayList<>(new ArrivalProcess.Diurnal(0.5, 1).generate(MIX, 10, count, 5));
    double periodMs = count * 1000 / 10.0;
    long firstHalf = requests.stream().filter(r -> r.arrivalMs() < periodMs / 2).count();
    long secondHalf = requests.stream().filter(r -> r.arrivalMs() >= periodMs / 2).count();
    double expectedRatio = (1 + 1 / Math.PI) / (1 - 1 / Math.PI);
    assertEquals(expectedRatio, (double) firstHalf / secondHalf, 0.02 * expectedRatio);
    assertEquals(periodMs, requests.getLast().arrivalMs(), 0.01 * periodMs);
  }

  @Test
  void theDiurnalStreamKeepsThePoissonStreamsLengthsAndOrder() {
    LengthMix mix =
        new LengthMix(new LengthDistribution.Uniform(1, 1000), new LengthDistribution.Fixed(3));
    List<Request> poisson = Arrivals.poisson(mix, 4, 1000, 9);
    List<Request> diurnal = new ArrivalProcess.Diurnal(0.8, 3).generate(mix, 4, 1000, 9);
    for (int i = 0; i < poisson.size(); i++) {
      assertEquals(poisson.get(i).inputTokens(), diurnal.get(i).inputTokens());
      assertEquals(i, diurnal.get(i).id());
      if (i > 0) {
        assertTrue(diurnal.get(i).arrivalMs() >= diurnal.get(i - 1).arrivalMs());
      }
    }
  }

  @Test
  void aLogNormalHasItsMedianAndStaysWithinItsClamp() {
    LengthDistribution.LogNormal shape = new LengthDistribution.LogNormal(98, 1.0, 4, 1024);
    SplittableRandom random = new SplittableRandom(11);
    int[] draws = new int[100_001];
    for (int i = 0; i < draws.length; i++) {
      draws[i] = shape.sample(random);
    }
    Arrays.sort(draws);
    assertEquals(98, draws[draws.length / 2], 2);
    assertEquals(4, draws[0]);
    assertEquals(1024, draws[draws.length - 1]);
    double mean = Arrays.stream(draws).average().orElseThrow();
    // unclamped the mean is 98 e^0.5 = 161.6; the cap at 1024 takes off a little
    assertEquals(shape.mean(), mean, 0.01 * mean);
    assertTrue(shape.mean() > 150 && shape.mean() < 161.6, "mean " + shape.mean());
  }
}
