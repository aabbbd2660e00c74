package dev.coemesh.pool.scheduler;

import dev.coemesh.core.request.SamplingParams;
import java.util.Objects;

/**
 * One sequence to generate: prompt token ids (BOS included where the model wants it) and sampling.
 *
 * @param resumeTokens tokens already generated (and delivered) elsewhere: they are appended to the
 *     prompt, count toward {@code maxTokens}, and generation continues after them with indices
 *     starting at their count; used to resume a stream after a replica failed
 */
public record SequenceRequest(int[] promptTokens, SamplingParams sampling, int[] resumeTokens) {
  public SequenceRequest {
    Objects.requireNonNull(promptTokens, "promptTokens");
    Objects.requireNonNull(sampling, "sampling");
    resumeTokens = resumeTokens == null ? new int[0] : resumeTokens.clone();
    promptTokens = promptTokens.clone();
    if (promptTokens.length == 0) {
      throw new IllegalArgumentException("prompt must hold at least one token");
    }
  }

  public SequenceRequest(int[] promptTokens, SamplingParams sampling) {
    this(promptTokens, sampling, null);
  }
}
