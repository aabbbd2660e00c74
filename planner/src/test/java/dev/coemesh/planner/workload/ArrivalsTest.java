package dev.coemesh.planner.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArrivalsTest {

  @Test
  void poissonArrivalsHaveTheRequestedMeanRateAndRateFreeLengths() {
    LengthMix mix =
        new LengthMix(new LengthDistribution.Uniform(10, 20), new LengthDistribution.Fixed(3));
    List<Request> slow = Arrivals.poisson(mix, 2, 100_000, 1);
    List<Request> fast = Arrivals.poisson(mix, 8, 100_000, 1);
    assertEquals(100_000 / 2.0 * 1000, slow.getLast().arrivalMs(), 0.01 * 50_000_000);
    assertEquals(slow.getLast().arrivalMs() / 4, fast.getLast().arrivalMs(), 1e-6);
    for (int i = 0; i < 100; i++) {
      assertEquals(slow.get(i).inputTokens(), fast.get(i).inputTokens());
    }
  }

  @Test
  void distributionsHaveTheirMeansAndRanges() {
    SplittableRandom random = new SplittableRandom(3);
    LengthDistribution uniform = new LengthDistribution.Uniform(10, 20);
    LengthDistribution geometric = new LengthDistribution.Geometric(50);
    LengthDistribution empirical = new LengthDistribution.Empirical(List.of(1, 2, 9));
    double uniformSum = 0;
    double geometricSum = 0;
    double empiricalSum = 0;
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      int u = uniform.sample(random);
      assertTrue(u >= 10 && u <= 20, "uniform sample " + u);
      uniformSum += u;
      geometricSum += geometric.sample(random);
      empiricalSum += empirical.sample(random);
    }
    assertEquals(15, uniformSum / n, 0.05);
    assertEquals(50, geometricSum / n, 0.5);
    assertEquals(4, empiricalSum / n, 0.05);
  }

  @Test
  void traceLinesAreParsedSortedAndErrorsNameTheLine() {
    List<Request> trace = Arrivals.parseTrace(List.of("# t,in,out", "50,7,2", "", "10,3,1"));
    assertEquals(List.of(new Request(1, 10, 3, 1), new Request(0, 50, 7, 2)), trace);
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> Arrivals.parseTrace(List.of("1,2")));
    assertTrue(error.getMessage().startsWith("trace line 1"), error.getMessage());
  }
}
