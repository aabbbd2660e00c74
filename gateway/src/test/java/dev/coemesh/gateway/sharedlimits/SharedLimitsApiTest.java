package dev.coemesh.gateway.sharedlimits;

import static dev.coemesh.gateway.testing.Gateway.DEFAULT_KEY;
import static dev.coemesh.gateway.testing.Gateway.LIMITED_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The gateway with its tenants' limits in a real Redis ({@code mesh.limits.redis.uri}): the same
 * headers and 429s as per-gateway limits, the windows in Redis, and an outage of Redis that serves
 * a fail-open tenant under local limits, refuses a fail-closed one with 503, and ends on its own
 * when Redis is back. Runs in a JVM of its own (the gateway pom's {@code shared-limits} execution):
 * its app starts with other settings than the shared test app.
 */
@QuarkusTest
@TestProfile(SharedLimitsApiTest.SharedLimits.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedLimitsApiTest {
  /** sha256("closed-key"): a tenant refused while the store is unreachable. */
  static final String CLOSED_KEY = "closed-key";

  public static final class SharedLimits implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "mesh.auth.tenants.closed.key-sha256",
          "04e3b29a2fd090b49021a722a3cd829d9eef812f38e82c0c2cfa753468225a39",
          "mesh.auth.tenants.closed.when-limits-unavailable",
          "fail-closed");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(LimitStoreResource.class));
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COMPLETION =
      "{\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"temperature\":0}";

  @TestHTTPResource("/")
  URI base;

  private HttpResponse<String> post(String key) throws Exception {
    return Gateway.post(base, "/v1/completions", key, COMPLETION);
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(Gateway.get(base, "/mesh/v1/status", null).body()).get("limits");
  }

  private static String header(HttpResponse<String> r, String name) {
    return r.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name));
  }

  @Test
  @Order(1)
  void theLimitsAreKeptInRedisAndAnsweredAsOpenAiDoes() throws Exception {
    long used = 0;
    for (int remaining = 2; remaining >= 0; remaining--) {
      HttpResponse<String> r = post(LIMITED_KEY);
      assertEquals(200, r.statusCode(), r.body());
      used += JSON.readTree(r.body()).at("/usage/total_tokens").asLong();
      assertEquals("3", header(r, "x-ratelimit-limit-requests"));
      assertEquals(Integer.toString(remaining), header(r, "x-ratelimit-remaining-requests"));
      assertEquals("100000", header(r, "x-ratelimit-limit-tokens"));
    }
    HttpResponse<String> refused = post(LIMITED_KEY);
    assertEquals(429, refused.statusCode(), refused.body());
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertEquals("rate_limit_exceeded", error.get("code").asText());
    assertEquals("requests", error.get("type").asText());
    int retry = Integer.parseInt(header(refused, "retry-after"));
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
    assertEquals("0", header(refused, "x-ratelimit-remaining-requests"));

    RedisClient client = RedisClient.create(LimitStoreResource.server.uri());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      Map<String, String> requests = c.sync().hgetall("mesh:limits:{limited}:requests");
      assertEquals(
          3, requests.values().stream().mapToLong(Long::parseLong).sum(), requests.toString());
      // reserved (prompt + max_tokens) at admission, then reconciled to what they used
      Map<String, String> tokens = c.sync().hgetall("mesh:limits:{limited}:tokens");
      assertEquals(used, tokens.values().stream().mapToLong(Long::parseLong).sum(), "" + tokens);
      assertEquals(0, c.sync().exists("mesh:limits:{limited}:leases"), "every lease released");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }

    JsonNode limits = status();
    assertEquals("shared", limits.get("mode").asText());
    assertEquals(LimitStoreResource.server.uri(), limits.get("store").asText());
    assertTrue(limits.get("store_up").asBoolean());
    Scrape metrics = Scrape.of(base.resolve("/q/metrics"));
    assertEquals(
        Set.of(),
        metrics.missing(MetricsCatalog.ofCheckout().namesOf("gateway", "gateway+redis")),
        "documented but not exported");
  }

  @Test
  @Order(2)
  void anOutageServesFailOpenTenantsLocallyRefusesFailClosedOnesAndEndsOnItsOwn() throws Exception {
    assertEquals(200, post(CLOSED_KEY).statusCode());
    LimitStoreResource.server.stop();
    try {
      HttpResponse<String> open = post(DEFAULT_KEY);
      assertEquals(200, open.statusCode(), "fail-open: served under this gateway's limits");
      HttpResponse<String> closed = post(CLOSED_KEY);
      assertEquals(503, closed.statusCode(), closed.body());
      JsonNode error = JSON.readTree(closed.body()).get("error");
      assertEquals("limit_store_unavailable", error.get("code").asText());
      assertEquals("server_error", error.get("type").asText());
      assertTrue(error.get("message").asText().contains("fail-closed"), error.toString());
      assertTrue(Integer.parseInt(header(closed, "retry-after")) >= 1);
      assertEquals(false, status().get("store_up").asBoolean());
      String scrape = Gateway.get(base, "/q/metrics", null).body();
      assertTrue(scrape.contains("mesh_limits_store_up 0.0"), "store down in the metrics");
    } finally {
      LimitStoreResource.server.start();
    }
    long end = System.nanoTime() + 10_000_000_000L;
    while (!status().get("store_up").asBoolean()) {
      assertTrue(System.nanoTime() < end, "the store was not used again within 10 s");
      Thread.sleep(50);
    }
    assertEquals(200, post(CLOSED_KEY).statusCode(), "shared limits again");
  }
}
