package dev.coemesh.router.replica;

import java.time.Clock;
import java.time.Duration;

/**
 * Opens after {@code failures} consecutive failures and refuses traffic for the cooldown; then lets
 * requests through again (half-open) and closes on the first success or reopens on a failure.
 * Thread-safe.
 */
public final class CircuitBreaker {
  private final int threshold;
  private final long cooldownMs;
  private final Clock clock;
  private int consecutiveFailures;
  private long openedAtMs = -1;

  public CircuitBreaker(int threshold, Duration cooldown, Clock clock) {
    if (threshold < 1) {
      throw new IllegalArgumentException("breaker threshold must be >= 1");
    }
    this.threshold = threshold;
    this.cooldownMs = cooldown.toMillis();
    this.clock = clock;
  }

  public synchronized boolean allowsRequest() {
    return openedAtMs < 0 || clock.millis() - openedAtMs >= cooldownMs;
  }

  public synchronized void onSuccess() {
    consecutiveFailures = 0;
    openedAtMs = -1;
  }

  public synchronized void onFailure() {
    consecutiveFailures++;
    boolean halfOpen = openedAtMs >= 0 && clock.millis() - openedAtMs >= cooldownMs;
    if (consecutiveFailures >= threshold || halfOpen) {
      openedAtMs = clock.millis();
    }
  }
}
