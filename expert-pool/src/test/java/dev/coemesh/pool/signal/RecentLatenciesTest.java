package dev.coemesh.pool.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.request.RequestTimings;
import org.junit.jupiter.api.Test;

class RecentLatenciesTest {
  private static RequestTimings timings(double ttftMs, double tpotMs) {
    return RequestTimings.colocated(0, ttftMs, tpotMs);
  }

  @Test
  void zeroUntilTheFirstSampleWhichThenIsTheMean() {
    RecentLatencies recent = new RecentLatencies();
    assertEquals(0, recent.ttftMs());
    assertEquals(0, recent.tpotMs());
    recent.record(timings(100, 10));
    assertEquals(100, recent.ttftMs());
    assertEquals(10, recent.tpotMs());
  }

  @Test
  void eachLaterSampleMovesTheMeanByItsWeight() {
    RecentLatencies recent = new RecentLatencies();
    recent.record(timings(100, 10));
    recent.record(timings(200, 20));
    assertEquals(100 + 0.2 * 100, recent.ttftMs(), 1e-9);
    assertEquals(10 + 0.2 * 10, recent.tpotMs(), 1e-9);
  }

  @Test
  void stagesThatDidNotRunLeaveTheirMeanAlone() {
    RecentLatencies recent = new RecentLatencies();
    recent.record(timings(100, 10));
    recent.record(timings(50, Double.NaN)); // a prefill: no TPOT
    recent.record(timings(Double.POSITIVE_INFINITY, -1));
    assertEquals(90, recent.ttftMs(), 1e-9);
    assertEquals(10, recent.tpotMs());
  }
}
