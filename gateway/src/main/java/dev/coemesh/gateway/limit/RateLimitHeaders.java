package dev.coemesh.gateway.limit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tenant's per-minute limits as they stand after a request's check, as OpenAI reports them in
 * response headers ({@code x-ratelimit-limit-requests}, {@code -remaining-requests}, {@code
 * -reset-requests} and the same for tokens). The request group is present only for a tenant with a
 * requests-per-minute limit, the token group only for one with a tokens-per-minute limit.
 *
 * @param limitRequests requests per minute, 0 for no such limit
 * @param remainingRequests requests the window still lets in
 * @param resetRequestsMillis until the window holds no request again (its initial state)
 * @param limitTokens tokens per minute, 0 for no such limit
 * @param remainingTokens tokens the window has room for (reservations of running requests count)
 * @param resetTokensMillis until the window holds no token again
 */
public record RateLimitHeaders(
    long limitRequests,
    long remainingRequests,
    long resetRequestsMillis,
    long limitTokens,
    long remainingTokens,
    long resetTokensMillis) {

  public static final String LIMIT_REQUESTS = "x-ratelimit-limit-requests";
  public static final String LIMIT_TOKENS = "x-ratelimit-limit-tokens";
  public static final String REMAINING_REQUESTS = "x-ratelimit-remaining-requests";
  public static final String REMAINING_TOKENS = "x-ratelimit-remaining-tokens";
  public static final String RESET_REQUESTS = "x-ratelimit-reset-requests";
  public static final String RESET_TOKENS = "x-ratelimit-reset-tokens";

  public RateLimitHeaders {
    remainingRequests = Math.max(0, remainingRequests);
    remainingTokens = Math.max(0, remainingTokens);
    resetRequestsMillis = Math.max(0, resetRequestsMillis);
    resetTokensMillis = Math.max(0, resetTokensMillis);
  }

  /** The headers of a tenant's limits from its windows' use, or null when it has neither limit. */
  static RateLimitHeaders of(
      long requestsPerMinute,
      long requestsUsed,
      long requestsResetMillis,
      long tokensPerMinute,
      long tokensUsed,
      long tokensResetMillis) {
    if (requestsPerMinute == 0 && tokensPerMinute == 0) {
      return null;
    }
    return new RateLimitHeaders(
        requestsPerMinute,
        requestsPerMinute - requestsUsed,
        requestsPerMinute == 0 ? 0 : requestsResetMillis,
        tokensPerMinute,
        tokensPerMinute - tokensUsed,
        tokensPerMinute == 0 ? 0 : tokensResetMillis);
  }

  /** The same limits {@code elapsedMillis} later, nothing else having happened. */
  public RateLimitHeaders aged(long elapsedMillis) {
    return new RateLimitHeaders(
        limitRequests,
        remainingRequests,
        resetRequestsMillis - elapsedMillis,
        limitTokens,
        remainingTokens,
        resetTokensMillis - elapsedMillis);
  }

  /** The response headers, in OpenAI's order. */
  public Map<String, String> headers() {
    Map<String, String> h = new LinkedHashMap<>();
    if (limitRequests > 0) {
      h.put(LIMIT_REQUESTS, Long.toString(limitRequests));
    }
    if (limitTokens > 0) {
      h.put(LIMIT_TOKENS, Long.toString(limitTokens));
    }
    if (limitRequests > 0) {
      h.put(REMAINING_REQUESTS, Long.toString(remainingRequests));
    }
    if (limitTokens > 0) {
      h.put(REMAINING_TOKENS, Long.toString(remainingTokens));
    }
    if (limitRequests > 0) {
      h.put(RESET_REQUESTS, duration(resetRequestsMillis));
    }
    if (limitTokens > 0) {
      h.put(RESET_TOKENS, duration(resetTokensMillis));
    }
    return h;
  }

  /**
   * A duration as OpenAI's headers write it (Go's {@code time.Duration} format, to the
   * millisecond): {@code 0s}, {@code 20ms}, {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h0m0s}.
   */
  public static String duration(long millis) {
    if (millis <= 0) {
      return "0s";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    long hours = millis / 3_600_000;
    long minutes = millis / 60_000 % 60;
    long seconds = millis / 1000 % 60;
    long fraction = millis % 1000;
    StringBuilder b = new StringBuilder();
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      b.append(minutes).append('m');
    }
    b.append(seconds);
    if (fraction > 0) {
      String digits = String.format("%03d", fraction);
      int end = digits.length();
      while (digits.charAt(end - 1) == '0') {
        end--;
      }
      b.append('.').append(digits, 0, end);
    }
    return b.append('s').toString();
  }
}
