package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenRateLimiterTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(1000 * SECOND);
  private final TokenRateLimiter limiter = new TokenRateLimiter(now::get);
  private final Tenant metered = new Tenant(new TenantId("m"), 1, 10, 1, 100);
  private final Tenant free = new Tenant(new TenantId("f"), 1, 10, 1, 0);

  @Test
  void letsInWhileTheTrailingMinuteHoldsLessThanTheLimit() {
    limiter.charge(metered, 99);
    assertEquals(0, limiter.retryAfterSeconds(metered));
    limiter.charge(metered, 1);
    assertEquals(60, limiter.retryAfterSeconds(metered));
  }

  @Test
  void waitsUntilEnoughOldSecondsLeaveTheWindow() {
    limiter.charge(metered, 30); // t = 0
    now.addAndGet(10 * SECOND);
    limiter.charge(metered, 80); // t = 10
    // 110 in the window; the 30 from t=0 leave at t=60, i.e. 50 s from now
    assertEquals(50, limiter.retryAfterSeconds(metered));
    now.addAndGet(50 * SECOND);
    assertEquals(0, limiter.retryAfterSeconds(metered));
  }

  @Test
  void aTenantWithoutALimitIsNeverHeldBack() {
    limiter.charge(free, 1_000_000);
    assertEquals(0, limiter.retryAfterSeconds(free));
  }

  @Test
  void tenantsAreCountedApart() {
    Tenant other = new Tenant(new TenantId("o"), 1, 10, 1, 100);
    limiter.charge(metered, 500);
    assertEquals(0, limiter.retryAfterSeconds(other));
  }
}
