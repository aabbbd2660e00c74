package dev.coemesh.pool.scheduler;

/**
 * Continuous-batching limits.
 *
 * @param maxRunning sequences decoded together per step
 * @param maxPrefillTokensPerStep prompt tokens computed between two decode steps; bounds how long a
 *     long prompt stalls running sequences (a prompt longer than this still runs whole, alone)
 * @param maxWaiting sequences that may wait for admission before submit is refused
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
