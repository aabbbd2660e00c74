package dev.coemesh.pool.profile;

import dev.coemesh.pool.engine.LlamaEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Measures an engine's prefill and decode step latency over a grid of prompt lengths, context
 * lengths and batch sizes, through {@link LlamaEngine#stepReused}: the call the workers' continuous
 * batcher makes for every step, so the profile times the engine the workers run.
 *
 * <p>One untimed pass over the whole grid warms the JIT up. Timed passes then take turns over the
 * grid until the time budget is spent (at least one pass), so that a burst of load from other
 * processes hits every point alike; each point's latency is the median of its passes.
 *
 * <p>A prefill point is one step that computes {@code batch} fresh prompts of {@code len} tokens. A
 * decode point is one step of one new token for each of {@code batch} sequences whose context
 * (after the step) is {@code ctx}; the sequences are brought to that context with untimed
 * multi-token steps, and {@link #DECODE_STEPS_PER_VISIT} consecutive steps are timed per visit.
 */
public final class Profiler {
  static final int DECODE_STEPS_PER_VISIT = 3;

  private final LlamaEngine engine;
  private final Grid grid;
  private final Random random = new Random(17);

  /**
   * What to measure.
   *
   * @param promptLens prefill prompt lengths
   * @param prefillBatches prefill batch sizes
   * @param maxPrefillTokens largest batch x length a prefill point may compute
   * @param decodeContexts decode context lengths, ascending
   * @param decodeBatches decode batch sizes
   */
  public record Grid(
      int[] promptLens,
      int[] prefillBatches,
      int maxPrefillTokens,
      int[] decodeContexts,
      int[] decodeBatches) {

    /**
     * Prompt lengths 16, 32, 64, ... up to the context; batches 1, 2, 4, ... up to {@code
     * maxBatch}; decode contexts 16, 64, 256, ... and the longest the context allows.
     */
    public static Grid forContext(int context, int maxBatch, int maxPrefillTokens) {
      List<Integer> lens = new ArrayList<>();
      for (int len = 16; len <= context; len *= 2) {
        lens.add(len);
      }
      List<Integer> ctx = new ArrayList<>();
      int longest = context - DECODE_STEPS_PER_VISIT;
      for (int c = 16; c < longest; c *= 4) {
        ctx.add(c);
      }
      ctx.add(longest);
      List<Integer> batches = new ArrayList<>();
      for (int b = 1; b <= maxBatch; b *= 2) {
        batches.add(b);
      }
      if (batches.getLast() != maxBatch) {
        batches.add(maxBatch);
      }
      int[] b = batches.stream().mapToInt(Integer::intValue).toArray();
      return new Grid(
          lens.stream().mapToInt(Integer::intValue).toArray(),
          b,
          maxPrefillTokens,
          ctx.stream().mapToInt(Integer::intValue).toArray(),
          b);
    }

    int maxDecodeBatch() {
      return Arrays.stream(decodeBatches).max().orElse(1);
    }
  }

  /** The measured points of both phases. */
  public record Measurement(List<PhaseProfile.Point> prefill, List<PhaseProfile.Point> decode) {}

  public Profiler(LlamaEngine engine, Grid grid) {
    this.engine = engine;
    this.grid = grid;
  }

  /** Blocks the engine needs for the grid: every decode sequence at full context, plus slack. */
  public static int kvBlocks(Grid grid, int context, int blockSize) {
    int perSequence = (context + blockSize - 1) / blockSize + 1;
    int prefill =
        (grid.maxPrefillTokens() + blockSize - 1) / blockSize + grid.prefillBatches().length;
    return Math.max(grid.maxDecodeBatch() * perSequence, prefill) + 1;
  }

  /** Warms up, then measures until {@code budgetNanos} have passed since the call (>= 1 pass). */
  public Measurement measure(long budgetNanos) {
    long deadline = System.nanoTime() + budgetNanos;
    Map<String, List<Double>> prefill = new LinkedHashMap<>();
    Map<String, List<Double>> decode = new LinkedHashMap<>();
    pass(null, null); // warm-up
    do {
      pass(prefill, decode);
    } while (System.nanoTime() < deadline);
    return new Measurement(points(prefill), points(decode));
  }

  private void pass(Map<String, List<Double>> prefill, Map<String, List<Double>> decode) {
    for (int len : grid.promptLens()) {
      for (int batch : grid.prefillBatches()) {
        if ((long) len * batch <= grid.maxPrefillTokens()) {
          double ms = prefillOnce(batch, len);
          record(prefill, batch, len, ms);
        }
      }
    }
    for (int batch : grid.decodeBatches()) {
      decodeVisits(batch, decode);
    }
  }

  private double prefillOnce(int batch, int len) {
    int[] ids = new int[batch];
    int[][] tokens = new int[batch][];
    for (int s = 0; s < batch; s++) {
      ids[s] = engine.newSequence(0);
      tokens[s] = randomTokens(len);
    }
    try {
      return timeMs(() -> engine.stepReused(ids, tokens));
    } finally {
      release(ids);
    }
  }

  private void decodeVisits(int batch, Map<String, List<Double>> decode) {
    int[] ids = new int[batch];
    for (int s = 0; s < batch; s++) {
      ids[s] = engine.newSequence(0);
    }
    try {
      int length = 0;
      for (int ctx : grid.decodeContexts()) {
        int fill = ctx - 1 - length; // bring every sequence to ctx - 1 positions, untimed
        if (fill > 0) {
          int[][] chunk = new int[batch][];
          for (int s = 0; s < batch; s++) {
            chunk[s] = randomTokens(fill);
          }
          engine.stepReused(ids, chunk);
          length += fill;
        }
        for (int k = 0; k < DECODE_STEPS_PER_VISIT; k++) {
          int[][] one = new int[batch][];
          for (int s = 0; s < batch; s++) {
            one[s] = randomTokens(1);
          }
          double ms = timeMs(() -> engine.stepReused(ids, one));
          length++;
          // the visit's steps run at ctx, ctx+1, ctx+2: one point, at ctx
          record(decode, batch, ctx, ms);
        }
      }
    } finally {
      release(ids);
    }
  }

  private static void record(Map<String, List<Double>> into, int batch, int len, double ms) {
    if (into != null) {
      into.computeIfAbsent(batch + "x" + len, k -> new ArrayList<>()).add(ms);
    }
  }

  private static List<PhaseProfile.Point> points(Map<String, List<Double>> samples) {
    List<PhaseProfile.Point> out = new ArrayList<>();
    for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
      String[] key = e.getKey().split("x");
      int[] lens = new int[Integer.parseInt(key[0])];
      Arrays.fill(lens, Integer.parseInt(key[1]));
      out.add(new PhaseProfile.Point(lens, median(e.getValue(), Double::doubleValue)));
    }
    return out;
  }

  static <T> double median(List<T> values, ToDoubleFunction<T> f) {
    double[] v = values.stream().mapToDouble(f).sorted().toArray();
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private void release(int[] ids) {
    for (int id : ids) {
      engine.free(id);
    }
    // random prompts never repeat; dropping their cached blocks keeps the pool's free list short
    engine.clearPrefixCache();
  }

  private int[] randomTokens(int n) {
    int vocab = engine.vocabularySize();
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = 1 + random.nextInt(vocab - 1);
    }
    return t;
  }

  private static double timeMs(Runnable step) {
    long t0 = System.nanoTime();
    step.run();
    return (System.nanoTime() - t0) / 1e6;
  }
}
