package dev.coemesh.gateway.error;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Lets through at most {@code perMinute} log lines a minute for one kind of event, so that a client
 * repeating a request that fails cannot flood the log; the first line after a quiet minute says how
 * many were dropped. Lock-free; a line may rarely slip through at a minute's boundary.
 */
public final class LogLimiter {
  private static final long MINUTE_NANOS = 60_000_000_000L;

  private final int perMinute;
  private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
  private final AtomicLong inWindow = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  public LogLimiter(int perMinute) {
    if (perMinute < 1) {
      throw new IllegalArgumentException("perMinute must be >= 1");
    }
    this.perMinute = perMinute;
  }

  /**
   * Runs {@code log} with the number of lines dropped since the last one that was let through,
   * unless this minute's lines are used up.
   */
  public void log(LongConsumer log) {
    long now = System.nanoTime();
    long start = windowStart.get();
    if (now - start > MINUTE_NANOS && windowStart.compareAndSet(start, now)) {
      inWindow.set(0);
    }
    if (inWindow.incrementAndGet() > perMinute) {
      dropped.incrementAndGet();
      return;
    }
    log.accept(dropped.getAndSet(0));
  }
}
