package dev.coemesh.planner.workload;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/** Request streams: Poisson arrivals at a rate, or a recorded trace. */
public final class Arrivals {
  private Arrivals() {}

  /**
   * {@code count} requests with exponential inter-arrival gaps at {@code ratePerSecond}, lengths
   * drawn from {@code mix}. The same seed gives the same gaps (scaled by the rate) and the same
   * lengths at every rate, so a rate search compares like with like.
   */
  public static List<Request> poisson(LengthMix mix, double ratePerSecond, int count, long seed) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate must be finite and > 0: " + ratePerSecond);
    }
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1: " + count);
    }
    // Two independent streams from one seed (split, not a derived seed: SplittableRandom seeded
    // with seed ^ its own gamma replays the gap stream one step later, which correlated each
    // prompt's length with the next gap and hid all queueing).
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom gaps = root.split();
    SplittableRandom lengths = root.split();
    double meanGapMs = 1000 / ratePerSecond;
    double now = 0;
    List<Request> requests = new ArrayList<>(count);
    for (int id = 0; id < count; id++) {
      now += -Math.log(1 - gaps.nextDouble()) * meanGapMs;
      requests.add(new Request(id, now, mix.input().sample(lengths), mix.output().sample(lengths)));
    }
    return List.copyOf(requests);
  }

  /**
   * A non-homogeneous Poisson stream with rate {@code mean * (1 + amplitude * sin(2 pi t /
   * periodMs))} per second, by time rescaling: unit-rate exponential gaps accumulate a target of
   * the integrated rate, and each arrival is the time at which the integrated rate reaches it. The
   * seed's lengths and unit gaps are those of {@link #poisson} with the same seed.
   */
  public static List<Request> sinusoidal(
      LengthMix mix,
      double meanRatePerSecond,
      double amplitude,
      double periodMs,
      int count,
      long seed) {
    if (!(meanRatePerSecond > 0) || Double.isInfinite(meanRatePerSecond)) {
      throw new IllegalArgumentException("rate must be finite and > 0: " + meanRatePerSecond);
    }
    if (!(amplitude >= 0 && amplitude < 1) || !(periodMs > 0)) {
      throw new IllegalArgumentException("need 0 <= amplitude < 1 and periodMs > 0");
    }
    List<Request> unit = poisson(mix, 1000, count, seed); // unit rate per ms
    double ratePerMs = meanRatePerSecond / 1000;
    double omega = 2 * Math.PI / periodMs;
    double lowestRatePerMs = ratePerMs * (1 - amplitude);
    List<Request> requests = new ArrayList<>(count);
    double now = 0;
    double reached = 0;
    for (Request r : unit) {
      double target = r.arrivalMs();
      // the integrated rate grows at least lowestRatePerMs per ms: the root lies in [lo, hi]
      double lo = now;
      double hi = now + (target - reached) / lowestRatePerMs;
      for (int i = 0; i < 100 && hi - lo > 1e-9 * Math.max(1, hi); i++) {
        double mid = (lo + hi) / 2;
        double integrated = ratePerMs * (mid + amplitude / omega * (1 - Math.cos(omega * mid)));
        if (integrated < target) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      now = hi;
      reached = target;
      requests.add(new Request(r.id(), now, r.inputTokens(), r.outputTokens()));
    }
    return List.copyOf(requests);
  }

  /**
   * Parses a trace, one request per line: {@code arrival_ms,input_tokens,output_tokens}. Blank
   * lines and lines starting with {@code #} are skipped; requests are ordered by arrival.
   */
  public static List<Request> parseTrace(List<String> lines) {
    List<Request> requests = new ArrayList<>();
    for (int number = 1; number <= lines.size(); number++) {
      String line = lines.get(number - 1).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split(",");
      if (fields.length != 3) {
        throw new IllegalArgumentException(
            "trace line " + number + ": expected arrival_ms,input_tokens,output_tokens");
      }
      try {
        requests.add(
            new Request(
                requests.size(),
                Double.parseDouble(fields[0].strip()),
                Integer.parseInt(fields[1].strip()),
                Integer.parseInt(fields[2].strip())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("trace line " + number + ": " + e.getMessage(), e);
      }
    }
    requests.sort(Comparator.comparingDouble(Request::arrivalMs));
    return List.copyOf(requests);
  }
}
