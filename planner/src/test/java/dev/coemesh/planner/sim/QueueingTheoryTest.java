package dev.coemesh.planner.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.workload.Arrivals;
import dev.coemesh.planner.workload.LengthDistribution;
import dev.coemesh.planner.workload.LengthMix;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One replica with batch size 1 and single-token outputs is a single-server FCFS queue whose
 * service time is the prefill latency, so its mean queue wait (TTFT minus own prefill) must match
 * the closed forms.
 */
class QueueingTheoryTest {
  private static final double MS_PER_TOKEN = 0.1;
  private static final int REQUESTS = 200_000;
  private static final Engine SINGLE_SERVER =
      new Engine(
          new QuadraticLatencyModel(0, MS_PER_TOKEN, 0, 0, 0, 0),
          new BatchLimits(1, Integer.MAX_VALUE, Long.MAX_VALUE),
          KvHandoff.free());

  @Test
  void exponentialServiceMatchesMm1MeanWait() {
    // Geometric prompt lengths with mean 1000 tokens: service mean 100 ms (mu = 10/s), CV^2 =
    // 0.999, so the M/M/1 value is off by 0.05% from the exact M/G/1 one.
    double lambda = 5;
    double mu = 10;
    double rho = lambda / mu;
    double meanWaitMs = meanWaitMs(new LengthDistribution.Geometric(1000), lambda);
    assertEquals(rho / (mu - lambda) * 1000, meanWaitMs, 0.03 * 100);
  }

  @Test
  void deterministicServiceMatchesMd1PollaczekKhinchine() {
    double lambda = 7;
    double mu = 10;
    double rho = lambda / mu;
    double meanWaitMs = meanWaitMs(new LengthDistribution.Fixed(1000), lambda);
    double expectedMs = rho / (2 * mu * (1 - rho)) * 1000;
    assertEquals(expectedMs, meanWaitMs, 0.03 * expectedMs);
  }

  private static double meanWaitMs(LengthDistribution prompts, double ratePerSecond) {
    List<RequestOutcome> outcomes =
        new Simulator(SINGLE_SERVER)
            .run(
                new Placement.Colocated(1),
                Arrivals.poisson(
                    new LengthMix(prompts, new LengthDistribution.Fixed(1)),
                    ratePerSecond,
                    REQUESTS,
                    42))
            .outcomes();
    return outcomes.stream()
        .mapToDouble(o -> o.ttftMs() - o.request().inputTokens() * MS_PER_TOKEN)
        .average()
        .orElseThrow();
  }
}
