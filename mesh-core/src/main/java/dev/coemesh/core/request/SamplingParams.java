package dev.coemesh.core.request;

import java.util.List;
import java.util.Objects;

/**
 * How to pick each next token and when to stop.
 *
 * @param temperature 0 means greedy (argmax); otherwise logits are divided by it before softmax
 * @param topK keep the k most likely tokens, 0 for no limit
 * @param topP nucleus mass in (0, 1]; 1 keeps everything
 * @param seed seed of the per-sequence random generator, so sampled output is reproducible
 * @param maxTokens upper bound on generated tokens, &gt;= 1
 * @param stopTokenIds token ids that end generation (not emitted)
 * @param stopStrings strings that end generation (the text up to them is emitted)
 * @param topLogprobs per generated token, also report this many alternatives; -1 for no logprobs
 */
public record SamplingParams(
    double temperature,
    int topK,
    double topP,
    long seed,
    int maxTokens,
    List<Integer> stopTokenIds,
    List<String> stopStrings,
    int topLogprobs) {

  public static final int MAX_STOP_STRINGS = 16;

  public SamplingParams {
    if (!(temperature >= 0) || temperature > 100) {
      throw new IllegalArgumentException("temperature must be in [0, 100], was " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top_k must be >= 0, was " + topK);
    }
    if (!(topP > 0) || topP > 1) {
      throw new IllegalArgumentException("top_p must be in (0, 1], was " + topP);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be >= 1, was " + maxTokens);
    }
    if (topLogprobs < -1 || topLogprobs > 20) {
      throw new IllegalArgumentException("top_logprobs must be in [0, 20], was " + topLogprobs);
    }
    stopTokenIds = List.copyOf(Objects.requireNonNull(stopTokenIds, "stopTokenIds"));
    stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings"));
    if (stopStrings.size() > MAX_STOP_STRINGS || stopStrings.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          "at most " + MAX_STOP_STRINGS + " non-empty stop strings are allowed");
    }
  }

  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(0, 0, 1, 0, maxTokens, List.of(), List.of(), -1);
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  public boolean wantsLogprobs() {
    return topLogprobs >= 0;
  }
}
