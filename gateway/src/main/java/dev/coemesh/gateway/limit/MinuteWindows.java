package dev.coemesh.gateway.limit;

import dev.coemesh.core.tenant.TenantId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One gateway process's count per tenant over a trailing 60-second window kept in one-second
 * buckets: tokens for {@code TokenRateLimiter}, requests for {@link LocalLimits}. The window at
 * second {@code s} holds the buckets of seconds {@code s-59 .. s}.
 *
 * <p>Thread-safe; one lock per tenant.
 */
public final class MinuteWindows {
  /** The window's length in seconds. */
  public static final int SECONDS = 60;

  private static final long SECOND_NANOS = 1_000_000_000L;

  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<TenantId, Window> windows = new ConcurrentHashMap<>();

  public MinuteWindows(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** What a tenant's window holds now. */
  public record Usage(long used, long millisUntilEmpty) {
    static final Usage NONE = new Usage(0, 0);
  }

  /** Adds {@code n} to the tenant's current second. */
  public void add(TenantId tenant, long n) {
    if (n != 0) {
      window(tenant).add(n, nowNanos());
    }
  }

  /** Seconds until the tenant's window holds less than {@code limit}; 0 when it does now. */
  public int secondsUntilBelow(TenantId tenant, long limit) {
    Window w = windows.get(tenant);
    return w == null ? 0 : w.secondsUntilBelow(limit, nowNanos());
  }

  /**
   * Adds {@code n} when the window holds less than {@code limit} now (check and charge in one step
   * under the tenant's lock); otherwise adds nothing.
   *
   * @return 0 when added, else the seconds until it would be
   */
  public int tryAdd(TenantId tenant, long limit, long n) {
    return window(tenant).tryAdd(limit, n, nowNanos());
  }

  public Usage usage(TenantId tenant) {
    Window w = windows.get(tenant);
    return w == null ? Usage.NONE : w.usage(nowNanos());
  }

  private Window window(TenantId id) {
    return windows.computeIfAbsent(id, k -> new Window());
  }

  private long nowNanos() {
    return nanoClock.getAsLong();
  }

  /** Counts per second for the last {@value SECONDS} seconds, in a ring indexed by second. */
  private static final class Window {
    private final long[] counts = new long[SECONDS]; // [second % 60]
    private final long[] second = new long[SECONDS]; // which second each slot holds

    private static long secondOf(long nanos) {
      return Math.floorDiv(nanos, SECOND_NANOS);
    }

    synchronized void add(long n, long nowNanos) {
      long now = secondOf(nowNanos);
      int i = (int) Math.floorMod(now, SECONDS);
      if (second[i] != now) {
        second[i] = now;
        counts[i] = 0;
      }
      counts[i] += n;
    }

    synchronized int tryAdd(long limit, long n, long nowNanos) {
      int wait = secondsUntilBelow(limit, nowNanos);
      if (wait == 0) {
        add(n, nowNanos);
      }
      return wait;
    }

    private long used(long now) {
      long used = 0;
      for (int i = 0; i < SECONDS; i++) {
        if (now - second[i] < SECONDS) {
          used += counts[i];
        }
      }
      return used;
    }

    /** Seconds until the trailing minute holds less than {@code limit}. */
    synchronized int secondsUntilBelow(long limit, long nowNanos) {
      long now = secondOf(nowNanos);
      long used = used(now);
      // drop the oldest seconds one by one until the sum falls below the limit
      for (int wait = 0; used >= limit; wait++) {
        long leaving = now - SECONDS + 1 + wait; // the second that leaves the window next
        int i = (int) Math.floorMod(leaving, SECONDS);
        if (second[i] == leaving) {
          used -= counts[i];
        }
        if (used < limit) {
          return wait + 1;
        }
      }
      return 0;
    }

    synchronized Usage usage(long nowNanos) {
      long now = secondOf(nowNanos);
      long newest = Long.MIN_VALUE;
      for (int i = 0; i < SECONDS; i++) {
        if (now - second[i] < SECONDS && counts[i] != 0) {
          newest = Math.max(newest, second[i]);
        }
      }
      if (newest == Long.MIN_VALUE) {
        return Usage.NONE;
      }
      // the newest bucket leaves the window when second newest + 60 begins
      long untilEmpty = (newest + SECONDS) * SECOND_NANOS - nowNanos;
      return new Usage(used(now), Math.max(1, (untilEmpty + 999_999) / 1_000_000));
    }
  }
}
