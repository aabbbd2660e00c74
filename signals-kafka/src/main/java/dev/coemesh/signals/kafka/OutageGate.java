package dev.coemesh.signals.kafka;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A circuit breaker in front of the producer. While the broker is unreachable every send waits the
 * full {@code max.block.ms} for metadata before failing; on a request thread that adds up. After a
 * timeout the gate closes, later publishes drop at once, and one publish per backoff window probes
 * the broker; an acknowledged send opens the gate again.
 *
 * <p>Thread-safe and lock-free.
 */
final class OutageGate {
  private static final long OPEN = Long.MIN_VALUE;

  private final long backoffNanos;
  // OPEN, or the System.nanoTime() from which the next probe may pass.
  private final AtomicLong probeAtNanos = new AtomicLong(OPEN);

  OutageGate(Duration backoff) {
    this.backoffNanos = backoff.toNanos();
  }

  /** True when the caller may send: the gate is open, or this caller is the window's one probe. */
  boolean tryPass() {
    long probeAt = probeAtNanos.get();
    if (probeAt == OPEN) {
      return true;
    }
    long now = System.nanoTime();
    return now - probeAt >= 0 && probeAtNanos.compareAndSet(probeAt, now + backoffNanos);
  }

  /** The broker did not answer in time. Returns true if this closed an open gate. */
  boolean onTimeout() {
    return probeAtNanos.getAndSet(System.nanoTime() + backoffNanos) == OPEN;
  }

  /** The broker acknowledged a send. Returns true if this reopened a closed gate. */
  boolean onSuccess() {
    // Read first: every acknowledgement lands here, and a write would bounce the cache line.
    return probeAtNanos.get() != OPEN && probeAtNanos.getAndSet(OPEN) != OPEN;
  }

  boolean isOpen() {
    return probeAtNanos.get() == OPEN;
  }
}
