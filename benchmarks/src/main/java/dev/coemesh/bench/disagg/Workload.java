package dev.coemesh.bench.disagg;

import java.util.SplittableRandom;

/**
 * A reproducible prompt mix, DistServe style: mostly short chat prompts, some long ones that make
 * prefill heavy. Token ids are drawn from the ordinary vocabulary after BOS (the synthetic model
 * has no meaningful text).
 *
 * @param longFraction share of long prompts
 * @param shortPrompt inclusive [min, max] tokens of a short prompt (BOS included)
 * @param longPrompt inclusive [min, max] tokens of a long prompt
 * @param output inclusive [min, max] tokens to generate
 */
public record Workload(double longFraction, int[] shortPrompt, int[] longPrompt, int[] output) {
  public static final int BOS = 1;
  public static final int FIRST_ORDINARY = 3;

  /** One request of the mix. */
  public record Request(int[] prompt, int maxTokens, boolean isLong) {}

  Request[] draw(int count, int vocabulary, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Request[] out = new Request[count];
    for (int i = 0; i < count; i++) {
      boolean isLong = random.nextDouble() < longFraction;
      int[] range = isLong ? longPrompt : shortPrompt;
      int[] prompt = new int[between(random, range)];
      prompt[0] = BOS;
      for (int t = 1; t < prompt.length; t++) {
        prompt[t] = FIRST_ORDINARY + random.nextInt(vocabulary - FIRST_ORDINARY);
      }
      out[i] = new Request(prompt, between(random, output), isLong);
    }
    return out;
  }

  private static int between(SplittableRandom random, int[] range) {
    return range[0] + random.nextInt(range[1] - range[0] + 1);
  }
}
