package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.limit.MinuteWindows;
import java.util.function.LongSupplier;

/**
 * Enforces each tenant's tokens-per-minute limit per gateway process over a trailing 60-second
 * window kept in one-second buckets ({@link MinuteWindows}). A request is let in while the window
 * holds less than the limit, and its tokens are charged as they are processed (prompt at admission,
 * output as it streams), so one request may overshoot the limit; the next one then waits until
 * enough seconds have left the window. This never refuses a tenant whose single prompt exceeds its
 * limit outright.
 *
 * <p>Every process charges its window whether or not the limits are shared through Redis ({@code
 * dev.coemesh.gateway.limit}), so that a gateway that loses its store falls back on warm local
 * windows.
 *
 * <p>Thread-safe; one lock per tenant.
 */
public final class TokenRateLimiter {
  private final MinuteWindows windows;

  public TokenRateLimiter(LongSupplier nanoClock) {
    this.windows = new MinuteWindows(nanoClock);
  }

  public TokenRateLimiter() {
    this(System::nanoTime);
  }

  /** Seconds until {@code tenant} may send again: 0 when it may now (nothing is charged here). */
  public int retryAfterSeconds(Tenant tenant) {
    if (tenant.tokensPerMinute() == 0) {
      return 0;
    }
    return windows.secondsUntilBelow(tenant.id(), tenant.tokensPerMinute());
  }

  /** Charges processed tokens to the tenant's window. */
  public void charge(Tenant tenant, int tokens) {
    if (tenant.tokensPerMinute() == 0 || tokens == 0) {
      return;
    }
    windows.add(tenant.id(), tokens);
  }

  /** The tokens charged per tenant, which the local limits read. */
  public MinuteWindows windows() {
    return windows;
  }
}
