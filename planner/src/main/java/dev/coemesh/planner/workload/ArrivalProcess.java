package dev.coemesh.planner.workload;

import java.util.List;

/**
 * How requests arrive at a given mean rate: what a rate search varies. Every process keeps the
 * lengths of a seed fixed across rates and scales its gaps with 1/rate, so a bisection compares
 * like with like.
 */
public sealed interface ArrivalProcess {

  /** {@code count} requests at a mean of {@code ratePerSecond}, ids in arrival order. */
  List<Request> generate(LengthMix mix, double ratePerSecond, int count, long seed);

  /** Exponential gaps at a constant rate. */
  record Poisson() implements ArrivalProcess {
    @Override
    public List<Request> generate(LengthMix mix, double ratePerSecond, int count, long seed) {
      return Arrivals.poisson(mix, ratePerSecond, count, seed);
    }
  }

  /**
   * A day's swing: the rate is {@code mean * (1 + amplitude * sin(2 pi t / period))}, with the
   * period set so that one run of {@code count} requests spans {@code cycles} whole cycles (a day
   * compressed into the probe, since a probe of simulated hours would cost minutes).
   */
  record Diurnal(double amplitude, int cycles) implements ArrivalProcess {
    public Diurnal {
      if (!(amplitude >= 0 && amplitude < 1)) {
        throw new IllegalArgumentException("amplitude must be in [0, 1): " + amplitude);
      }
      if (cycles < 1) {
        throw new IllegalArgumentException("cycles must be >= 1: " + cycles);
      }
    }

    @Override
    public List<Request> generate(LengthMix mix, double ratePerSecond, int count, long seed) {
      double periodMs = count * 1000 / ratePerSecond / cycles;
      return Arrivals.sinusoidal(mix, ratePerSecond, amplitude, periodMs, count, seed);
    }
  }
}
