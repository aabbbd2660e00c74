package dev.coemesh.core.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SloTest {

  @ParameterizedTest
  @CsvSource({
    "200, 50, true", // both exactly on the bound count as met
    "200.1, 50, false",
    "100, 50.1, false",
    "0, 0, true",
  })
  void aRequestAttainsOnlyWhenBothBoundsHold(double ttft, double tpot, boolean attained) {
    assertEquals(attained, new Slo(200, 50).attainedBy(ttft, tpot));
  }

  @Test
  void attainmentIsTheFractionMeetingBoth() {
    Slo slo = new Slo(100, 10);
    assertEquals(
        0.5, slo.attainment(new double[] {50, 150, 90, 10}, new double[] {5, 5, 11, 10}), 1e-12);
  }

  @Test
  void goodputInterpolatesTheCrossing() {
    double[] rates = {1, 2, 3, 4};
    double[] attainment = {1.0, 0.95, 0.85, 0.5};
    // crosses 0.9 halfway between rate 2 (0.95) and rate 3 (0.85)
    assertEquals(2.5, Goodput.crossing(rates, attainment, 0.9), 1e-12);
    assertEquals(0, Goodput.crossing(rates, new double[] {0.8, 0.7, 0.1, 0}, 0.9));
    assertEquals(4, Goodput.crossing(rates, new double[] {1, 1, 1, 1}, 0.9));
    assertThrows(
        IllegalArgumentException.class,
        () -> Goodput.crossing(new double[] {2, 1}, new double[] {1, 1}, 0.9));
  }

  @Test
  void poissonArrivalsHaveTheRequestedMeanRateAndAreReproducible() {
    double[] a = PoissonArrivals.offsetsMs(20_000, 4, 7);
    assertEquals(5000, a[a.length - 1] / 1000, 100); // 20k arrivals at 4/s take ~5000 s
    assertEquals(a[123], PoissonArrivals.offsetsMs(20_000, 4, 7)[123]);
  }
}
