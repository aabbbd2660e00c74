package dev.coemesh.gateway.limit;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.Tenant;
import java.util.Map;

/**
 * The limits per gateway process: without a shared store, and as the fail-open fallback of {@link
 * SharedLimits} while its store is unreachable. Tokens per minute as the gateway has always
 * enforced them ({@code TokenRateLimiter}'s window: a request is let in while the trailing minute
 * holds less than the limit, and its tokens are charged as they are processed); requests per minute
 * checked and charged in one step under the tenant's lock; concurrency is the fair scheduler's
 * {@code max-concurrent} running requests per process, so no lease is taken here.
 */
public final class LocalLimits implements TenantLimits {
  private final MinuteWindows tokens;
  private final MinuteWindows requests;
  private final LimitMetrics metrics;

  /**
   * @param tokens the tokens the gateway charges as they are processed ({@code
   *     TokenRateLimiter.windows()})
   * @param requests this process's requests, charged here
   */
  public LocalLimits(MinuteWindows tokens, MinuteWindows requests, LimitMetrics metrics) {
    this.tokens = tokens;
    this.requests = requests;
    this.metrics = metrics;
  }

  @Override
  public LimitRefusal precheck(Tenant tenant) {
    LimitRefusal refused = check(tenant, 0);
    if (refused != null) {
      metrics.refused(tenant.id(), refused.kind(), LimitMetrics.LOCAL);
    }
    return refused;
  }

  @Override
  public Admission admit(Tenant tenant, RequestId request, long reserveTokens) {
    LimitRefusal refused = check(tenant, reserveTokens);
    if (refused == null && tenant.requestsPerMinute() > 0) {
      int wait = requests.tryAdd(tenant.id(), tenant.requestsPerMinute(), 1);
      if (wait > 0) {
        refused = perMinute(tenant, LimitKind.REQUESTS, 1, wait);
      }
    }
    if (refused != null) {
      metrics.refused(tenant.id(), refused.kind(), LimitMetrics.LOCAL);
      return new Admission.Refused(refused);
    }
    return new Admission.Granted(Lease.NONE, headers(tenant));
  }

  /** Counts a request the shared store admitted, so that a fallback starts from a warm window. */
  void noteAdmitted(Tenant tenant) {
    if (tenant.requestsPerMinute() > 0) {
      requests.add(tenant.id(), 1);
    }
  }

  /** The refusal of a window already at its limit, tokens first (checks only, charges nothing). */
  private LimitRefusal check(Tenant tenant, long requestedTokens) {
    if (tenant.tokensPerMinute() > 0) {
      int wait = tokens.secondsUntilBelow(tenant.id(), tenant.tokensPerMinute());
      if (wait > 0) {
        return perMinute(tenant, LimitKind.TOKENS, requestedTokens, wait);
      }
    }
    if (tenant.requestsPerMinute() > 0) {
      int wait = requests.secondsUntilBelow(tenant.id(), tenant.requestsPerMinute());
      if (wait > 0) {
        return perMinute(tenant, LimitKind.REQUESTS, 1, wait);
      }
    }
    return null;
  }

  private LimitRefusal perMinute(Tenant tenant, LimitKind kind, long requested, int waitSeconds) {
    MinuteWindows window = kind == LimitKind.REQUESTS ? requests : tokens;
    return LimitRefusal.perMinute(
        tenant,
        kind,
        window.usage(tenant.id()).used(),
        requested,
        waitSeconds * 1000L,
        headers(tenant));
  }

  /** The tenant's per-minute limits as this process's windows hold them now. */
  RateLimitHeaders headers(Tenant tenant) {
    MinuteWindows.Usage r =
        tenant.requestsPerMinute() > 0 ? requests.usage(tenant.id()) : MinuteWindows.Usage.NONE;
    MinuteWindows.Usage t =
        tenant.tokensPerMinute() > 0 ? tokens.usage(tenant.id()) : MinuteWindows.Usage.NONE;
    return RateLimitHeaders.of(
        tenant.requestsPerMinute(),
        r.used(),
        r.millisUntilEmpty(),
        tenant.tokensPerMinute(),
        t.used(),
        t.millisUntilEmpty());
  }

  @Override
  public View view() {
    return new View("local", null, null, null, 0, 0, metrics.refusals());
  }

  /** This process's refusal counts by tenant (for {@link SharedLimits#view()}). */
  Map<dev.coemesh.core.tenant.TenantId, Map<String, Long>> refusals() {
    return metrics.refusals();
  }
}
