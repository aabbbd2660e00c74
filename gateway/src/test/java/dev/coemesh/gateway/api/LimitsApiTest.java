package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.DEFAULT_KEY;
import static dev.coemesh.gateway.testing.Gateway.LIMITED_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tenant's per-minute limits on the wire, as OpenAI answers them: {@code x-ratelimit-*} headers
 * on every response (streamed or not), and over a limit a 429 with {@code Retry-After} and OpenAI's
 * {@code rate_limit_exceeded} body naming the limit as {@code type}. The test profile keeps the
 * limits per gateway (no {@code mesh.limits.redis.uri}); the shared ones answer the same (see
 * SharedLimitsApiTest).
 */
@QuarkusTest
class LimitsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Go's duration format, to the millisecond, as OpenAI writes its reset headers. */
  private static final Pattern DURATION =
      Pattern.compile("0s|[1-9][0-9]{0,2}ms|([1-9][0-9]*m)?[0-9]{1,2}(\\.[0-9]{1,3})?s");

  private static final String COMPLETION =
      "{\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"temperature\":0}";
  private static final String STREAM =
      "{\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"temperature\":0,\"stream\":true}";

  @TestHTTPResource("/")
  URI base;

  private HttpResponse<String> post(String key, String body) throws Exception {
    return Gateway.post(base, "/v1/completions", key, body);
  }

  private static String header(HttpResponse<String> r, String name) {
    return r.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name));
  }

  private static void assertLimitHeaders(HttpResponse<String> r, long remainingRequests) {
    assertEquals("3", header(r, "x-ratelimit-limit-requests"));
    assertEquals(Long.toString(remainingRequests), header(r, "x-ratelimit-remaining-requests"));
    assertEquals("100000", header(r, "x-ratelimit-limit-tokens"));
    long remainingTokens = Long.parseLong(header(r, "x-ratelimit-remaining-tokens"));
    assertTrue(remainingTokens > 99_900 && remainingTokens <= 100_000, "" + remainingTokens);
    for (String reset : new String[] {"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"}) {
      assertTrue(DURATION.matcher(header(r, reset)).matches(), reset + ": " + header(r, reset));
    }
  }

  @Test
  void aLimitedTenantSeesItsLimitsOnEveryResponseAndA429OverThem() throws Exception {
    HttpResponse<String> first = post(LIMITED_KEY, COMPLETION);
    assertEquals(200, first.statusCode(), first.body());
    assertLimitHeaders(first, 2);

    HttpResponse<String> streamed = post(LIMITED_KEY, STREAM);
    assertEquals(200, streamed.statusCode(), streamed.body());
    assertTrue(header(streamed, "content-type").startsWith("text/event-stream"));
    assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), streamed.body());
    assertLimitHeaders(streamed, 1);

    HttpResponse<String> third = post(LIMITED_KEY, COMPLETION);
    assertEquals(200, third.statusCode(), third.body());
    assertLimitHeaders(third, 0);

    HttpResponse<String> refused = post(LIMITED_KEY, STREAM);
    assertEquals(429, refused.statusCode(), refused.body());
    assertEquals("application/json", header(refused, "content-type"));
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertEquals("rate_limit_exceeded", error.get("code").asText());
    assertEquals("requests", error.get("type").asText());
    assertTrue(error.get("param").isNull());
    assertTrue(
        error
            .get("message")
            .asText()
            .startsWith(
                "Rate limit reached for tenant 'limited' on requests per min (RPM): Limit 3"),
        error.toString());
    int retry = Integer.parseInt(header(refused, "retry-after"));
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
    assertLimitHeaders(refused, 0);
    String reset = header(refused, "x-ratelimit-reset-requests");
    assertFalse(reset.equals("0s"), "the window holds three requests: " + reset);
  }

  @Test
  void aTenantWithoutPerMinuteLimitsGetsNoRateLimitHeaders() throws Exception {
    HttpResponse<String> r = post(DEFAULT_KEY, COMPLETION);
    assertEquals(200, r.statusCode(), r.body());
    HttpHeaders h = r.headers();
    assertTrue(h.map().keySet().stream().noneMatch(n -> n.startsWith("x-ratelimit-")), "" + h);
  }
}
