package dev.coemesh.gateway.limit;

import static dev.coemesh.gateway.limit.Admissions.granted;
import static dev.coemesh.gateway.limit.Admissions.isGranted;
import static dev.coemesh.gateway.limit.Admissions.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The limits of one gateway process, on a clock the test moves. */
class LocalLimitsTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(1000 * SECOND);
  private final MinuteWindows tokens = new MinuteWindows(now::get);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final LocalLimits limits =
      new LocalLimits(tokens, new MinuteWindows(now::get), new LimitMetrics(meters));

  private static Tenant tenant(String id, long rpm, long tpm) {
    return new Tenant(new TenantId(id), 1, 8, 4, tpm, rpm, Tenant.LimitStoreOutage.FAIL_OPEN);
  }

  @Test
  void requestsPerMinuteAreCheckedAndChargedInOneStep() {
    Tenant t = tenant("rpm", 3, 0);
    for (int i = 0; i < 3; i++) {
      TenantLimits.Admission a = limits.admit(t, RequestId.random(), 10);
      assertTrue(isGranted(a));
      assertSame(Lease.NONE, granted(a).lease());
      assertEquals(2 - i, granted(a).headers().remainingRequests());
      assertEquals(3, granted(a).headers().limitRequests());
      assertEquals(0, granted(a).headers().limitTokens(), "no token limit, no token headers");
    }
    TenantLimits.Admission refused = limits.admit(t, RequestId.random(), 10);
    assertEquals(LimitKind.REQUESTS, refusal(refused).kind());
    assertEquals(ErrorCode.RATE_LIMITED, refusal(refused).error().code());
    assertEquals("requests", refusal(refused).error().toBody().error().type());
    assertEquals("rate_limit_exceeded", refusal(refused).error().toBody().error().code());
    assertEquals(60, refusal(refused).retryAfterSeconds());
    assertNotNull(limits.precheck(t), "the cheap check refuses too");
    now.addAndGet(60 * SECOND);
    assertNull(limits.precheck(t));
    assertTrue(isGranted(limits.admit(t, RequestId.random(), 10)));
    assertEquals(
        2.0,
        meters
            .get("mesh.limits.refused")
            .tag("tenant", "rpm")
            .tag("scope", "local")
            .counter()
            .count());
  }

  @Test
  void tokensPerMinuteAreTheProcessWindowAsBefore() {
    Tenant t = tenant("tpm", 0, 100);
    tokens.add(t.id(), 99);
    TenantLimits.Admission a = limits.admit(t, RequestId.random(), 500);
    assertTrue(isGranted(a), "let in while the window holds less than the limit");
    assertEquals(1, granted(a).headers().remainingTokens());
    assertEquals("1m0s", granted(a).headers().headers().get("x-ratelimit-reset-tokens"));
    tokens.add(t.id(), 1);
    LimitRefusal r = limits.precheck(t);
    assertEquals(LimitKind.TOKENS, r.kind());
    assertEquals("tokens", r.error().toBody().error().type());
    assertEquals(60, r.retryAfterSeconds());
    assertEquals("0", r.headers().headers().get("x-ratelimit-remaining-tokens"));
    assertTrue(r.error().getMessage().contains("tokens per min (TPM): Limit 100, Used 100"));
  }

  @Test
  void aTenantWithoutPerMinuteLimitsGetsNoHeaders() {
    TenantLimits.Admission a = limits.admit(tenant("free", 0, 0), RequestId.random(), 10);
    assertTrue(isGranted(a));
    assertNull(granted(a).headers());
  }
}
