package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Enforces each tenant's tokens-per-minute limit over a trailing 60-second window kept in
 * one-second buckets. A request is let in while the window holds less than the limit, and its
 * tokens are charged as they are processed (prompt at admission, output as it streams), so one
 * request may overshoot the limit; the next one then waits until enough seconds have left the
 * window. This never refuses a tenant whose single prompt exceeds its limit outright.
 *
 * <p>Thread-safe; one lock per tenant.
 */
public final class TokenRateLimiter {
  private static final int SECONDS = 60;

  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<TenantId, Window> windows = new ConcurrentHashMap<>();

  public TokenRateLimiter(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  public TokenRateLimiter() {
    this(System::nanoTime);
  }

  /** Seconds until {@code tenant} may send again: 0 when it may now (nothing is charged here). */
  public int retryAfterSeconds(Tenant tenant) {
    if (tenant.tokensPerMinute() == 0) {
      return 0;
    }
    return window(tenant.id()).secondsUntilBelow(tenant.tokensPerMinute(), nowSecond());
  }

  /** Charges processed tokens to the tenant's window. */
  public void charge(Tenant tenant, int tokens) {
    if (tenant.tokensPerMinute() == 0 || tokens == 0) {
      return;
    }
    window(tenant.id()).add(tokens, nowSecond());
  }

  private Window window(TenantId id) {
    return windows.computeIfAbsent(id, k -> new Window());
  }

  private long nowSecond() {
    return Math.floorDiv(nanoClock.getAsLong(), 1_000_000_000L);
  }

  /** Tokens per second for the last {@value SECONDS} seconds, in a ring indexed by second. */
  private static final class Window {
    private final long[] tokens = new long[SECONDS]; // [second % 60]
    private final long[] second = new long[SECONDS]; // which second each slot holds

    synchronized void add(int n, long now) {
      int i = (int) Math.floorMod(now, SECONDS);
      if (second[i] != now) {
        second[i] = now;
        tokens[i] = 0;
      }
      tokens[i] += n;
    }

    /** Seconds until the trailing minute holds fewer than {@code limit} tokens. */
    synchronized int secondsUntilBelow(long limit, long now) {
      long used = 0;
      for (int i = 0; i < SECONDS; i++) {
        if (now - second[i] < SECONDS) {
          used += tokens[i];
        }
      }
      // drop the oldest seconds one by one until the sum falls below the limit
      for (int wait = 0; used >= limit; wait++) {
        long leaving = now - SECONDS + 1 + wait; // the second that leaves the window next
        int i = (int) Math.floorMod(leaving, SECONDS);
        if (second[i] == leaving) {
          used -= tokens[i];
        }
        if (used < limit) {
          return wait + 1;
        }
      }
      return 0;
    }
  }
}
