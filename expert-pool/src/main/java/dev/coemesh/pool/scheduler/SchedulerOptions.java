package dev.coemesh.pool.scheduler;

/**
 * Continuous-batching limits.
 *
 * @param maxRunning sequences decoded together per step
 * @param maxPrefillTokensPerStep prompt tokens computed in one step beside the decoding sequences'
 *     tokens (the prefill chunk): longer prompts are computed over several steps, so this bounds
 *     how long a prompt delays each output token of the running sequences, at the price of the
 *     prompt's own time to first token
 * @param maxWaiting sequences that may wait beyond a full batch before submit is refused: at most
 *     {@code maxRunning + maxWaiting} are held at once (while KV blocks keep the batch smaller, the
 *     rest of that bound waits)
 */
public record SchedulerOptions(int maxRunning, int maxPrefillTokensPerStep, int maxWaiting) {
  public SchedulerOptions {
    if (maxRunning < 1 || maxPrefillTokensPerStep < 1 || maxWaiting < 0) {
      throw new IllegalArgumentException("scheduler limits must be positive");
    }
  }

  public static SchedulerOptions defaults() {
    return new SchedulerOptions(32, 512, 1024);
  }
}
