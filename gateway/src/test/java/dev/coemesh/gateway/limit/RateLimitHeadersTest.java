package dev.coemesh.gateway.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateLimitHeadersTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0s",
    "-5, 0s",
    "1, 1ms",
    "20, 20ms",
    "999, 999ms",
    "1000, 1s",
    "1500, 1.5s",
    "8640, 8.64s",
    "59999, 59.999s",
    "60000, 1m0s",
    "360000, 6m0s",
    "61250, 1m1.25s",
    "3600000, 1h0m0s",
    "3723004, 1h2m3.004s",
  })
  void durationsAreWrittenAsOpenAiAndGoWriteThem(long millis, String text) {
    assertEquals(text, RateLimitHeaders.duration(millis));
  }

  @Test
  void bothGroupsInOpenAisOrder() {
    RateLimitHeaders h = new RateLimitHeaders(60, 59, 1000, 150000, 149984, 6);
    assertEquals(
        List.of(
            "x-ratelimit-limit-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens"),
        List.copyOf(h.headers().keySet()));
    assertEquals("149984", h.headers().get("x-ratelimit-remaining-tokens"));
    assertEquals("6ms", h.headers().get("x-ratelimit-reset-tokens"));
    assertEquals("1s", h.headers().get("x-ratelimit-reset-requests"));
  }

  @Test
  void onlyTheLimitsATenantHasAreReported() {
    assertNull(RateLimitHeaders.of(0, 0, 0, 0, 0, 0));
    assertEquals(
        Map.of(
            "x-ratelimit-limit-tokens", "1000",
            "x-ratelimit-remaining-tokens", "0",
            "x-ratelimit-reset-tokens", "59.5s"),
        RateLimitHeaders.of(0, 0, 0, 1000, 1200, 59_500).headers());
  }

  @Test
  void anAgedSnapshotCountsDownItsResets() {
    RateLimitHeaders h = new RateLimitHeaders(10, 0, 30_000, 0, 0, 0).aged(29_980);
    assertEquals("20ms", h.headers().get("x-ratelimit-reset-requests"));
    assertEquals("0s", h.aged(100).headers().get("x-ratelimit-reset-requests"));
  }
}
