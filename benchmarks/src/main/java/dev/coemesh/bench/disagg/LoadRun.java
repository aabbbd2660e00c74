package dev.coemesh.bench.disagg;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.slo.PoissonArrivals;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.TenantId;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Fires a workload at Poisson arrival times against one serving mode and collects each request's
 * client-side timings. Bounded: it waits for the stragglers at most {@code drainSeconds}, and a
 * request still open then counts as missing its SLO.
 */
public final class LoadRun {
  private static final TenantId TENANT = new TenantId("bench");

  /** A serving mode as the client sees it (both the colocated and the disaggregated client). */
  @FunctionalInterface
  public interface Serving {
    ExpertBackend.Generation generate(
        RequestId id,
        TenantId tenant,
        int[] prompt,
        SamplingParams sampling,
        Consumer<TokenEvent> sink);
  }

  /** One request's outcome; NaN timings when it failed or did not finish. */
  public record Outcome(
      boolean ok,
      double ttftMs,
      double tpotMs,
      double kvEncodeMs,
      double kvTransferMs,
      double kvDecodeMs) {
    static final Outcome MISSING =
        new Outcome(false, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
  }

  private LoadRun() {}

  static Outcome[] run(
      Serving serving,
      Workload.Request[] requests,
      double ratePerSecond,
      long seed,
      int drainSeconds)
      throws InterruptedException {
    return run(
        serving,
        requests,
        PoissonArrivals.offsetsMs(requests.length, ratePerSecond, seed),
        drainSeconds);
  }

  /**
   * Sends request {@code i} at {@code offsets[i]} ms after the start (a recorded or simulated
   * arrival pattern, so a simulator can replay exactly the same stream).
   */
  public static Outcome[] run(
      Serving serving, Workload.Request[] requests, double[] offsets, int drainSeconds)
      throws InterruptedException {
    if (offsets.length != requests.length) {
      throw new IllegalArgumentException("one offset per request");
    }
    Outcome[] outcomes = new Outcome[requests.length];
    CountDownLatch done = new CountDownLatch(requests.length);
    long start = System.nanoTime();
    for (int i = 0; i < requests.length; i++) {
      long due = start + (long) (offsets[i] * 1e6);
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int index = i;
      serving.generate(
          RequestId.random(),
          TENANT,
          requests[i].prompt(),
          SamplingParams.greedy(requests[i].maxTokens()),
          event -> {
            switch (event) {
              case TokenEvent.Token ignored -> {}
              case TokenEvent.ToolCallDelta ignored -> {}
              case TokenEvent.Finished f -> {
                outcomes[index] =
                    new Outcome(
                        true,
                        f.timings().ttftMs(),
                        f.timings().tpotMs(),
                        f.timings().kvEncodeMs(),
                        f.timings().kvTransferMs(),
                        f.timings().kvDecodeMs());
                done.countDown();
              }
              case TokenEvent.Failed f -> {
                outcomes[index] = Outcome.MISSING;
                done.countDown();
              }
            }
          });
    }
    done.await(drainSeconds, TimeUnit.SECONDS);
    for (int i = 0; i < outcomes.length; i++) {
      if (outcomes[i] == null) {
        outcomes[i] = Outcome.MISSING;
      }
    }
    return outcomes;
  }
}
