package dev.coemesh.gateway.limit;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;

/**
 * A request refused by its tenant's limits: the error the client gets (OpenAI's {@code
 * rate_limit_exceeded} with the limit as {@code type}, or {@code limit_store_unavailable}), the
 * {@code Retry-After} seconds and the limits' headers (null when the tenant has no per-minute
 * limit, or they are unknown).
 */
public record LimitRefusal(
    LimitKind kind, MeshException error, int retryAfterSeconds, RateLimitHeaders headers) {

  /** OpenAI's error code for every rate limit. */
  public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";

  /** A per-minute limit: {@code retryMillis} until the window lets a request in again. */
  static LimitRefusal perMinute(
      Tenant tenant,
      LimitKind kind,
      long used,
      long requested,
      long retryMillis,
      RateLimitHeaders h) {
    long limit = kind == LimitKind.REQUESTS ? tenant.requestsPerMinute() : tenant.tokensPerMinute();
    String what = kind == LimitKind.REQUESTS ? "requests per min (RPM)" : "tokens per min (TPM)";
    long retry = Math.max(1, retryMillis);
    String message =
        "Rate limit reached for tenant '"
            + tenant.id()
            + "' on "
            + what
            + ": Limit "
            + limit
            + ", Used "
            + used
            + (requested > 0 ? ", Requested " + requested : "")
            + ". Please try again in "
            + RateLimitHeaders.duration(retry)
            + ".";
    return new LimitRefusal(
        kind,
        MeshException.openAi(
            ErrorCode.RATE_LIMITED, message, kind.openAiType(), RATE_LIMIT_EXCEEDED),
        seconds(retry),
        h);
  }

  /** {@code max-concurrent} over all gateways: a slot frees when one of them ends. */
  static LimitRefusal concurrency(Tenant tenant, long inFlight, RateLimitHeaders h) {
    String message =
        "Rate limit reached for tenant '"
            + tenant.id()
            + "' on concurrent requests: Limit "
            + tenant.maxConcurrent()
            + ", In flight "
            + inFlight
            + " over all gateways. Please try again when one of them has finished.";
    return new LimitRefusal(
        LimitKind.CONCURRENCY,
        MeshException.openAi(
            ErrorCode.RATE_LIMITED,
            message,
            LimitKind.CONCURRENCY.openAiType(),
            RATE_LIMIT_EXCEEDED),
        1,
        h);
  }

  /** The store cannot be reached and the tenant fails closed. */
  static LimitRefusal storeUnavailable(Tenant tenant, int retryAfterSeconds) {
    String message =
        "The limits of tenant '"
            + tenant.id()
            + "' cannot be checked: the shared limit store is unreachable, and this tenant's"
            + " requests are refused until it answers (when-limits-unavailable: fail-closed)."
            + " Please try again shortly.";
    return new LimitRefusal(
        LimitKind.STORE_UNAVAILABLE,
        new MeshException(ErrorCode.LIMIT_STORE_UNAVAILABLE, message),
        Math.max(1, retryAfterSeconds),
        null);
  }

  /** Whole seconds for {@code Retry-After}, rounded up, at least 1. */
  static int seconds(long millis) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (millis + 999) / 1000));
  }
}
