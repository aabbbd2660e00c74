package dev.coemesh.gateway.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.api.MeshHeaders;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code GET /mesh/v1/status} and the files of {@code /ui} on the running gateway of the test
 * profile: two embedded experts (stories260k, stories260k-gguf with its own 30 s TTFT objective),
 * five tenants, real requests through the real model.
 */
@QuarkusTest
class StatusApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String PROMPT = "Write a haiku about the quiet harbour at dawn.";

  @TestHTTPResource("/")
  URI base;

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode status() throws Exception {
    HttpResponse<String> r = send("GET", "/mesh/v1/status");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    assertEquals("no-store", r.headers().firstValue("cache-control").orElseThrow());
    return JSON.readTree(r.body());
  }

  private static JsonNode find(JsonNode array, String field, String value) {
    for (JsonNode n : array) {
      if (n.path(field).asText().equals(value)) {
        return n;
      }
    }
    throw new AssertionError("no " + field + "=" + value + " in " + array);
  }

  @Test
  void reportsEveryExpertWithItsEmbeddedReplicasTargetsAndTheTenants() throws Exception {
    long before = System.currentTimeMillis();
    JsonNode doc = status();

    assertTrue(doc.get("time_ms").asLong() >= before, doc.toString());
    assertTrue(doc.get("started_ms").asLong() <= doc.get("time_ms").asLong());
    assertEquals(300, doc.at("/slo/window_seconds").asInt());
    List<String> names = new ArrayList<>();
    doc.get("experts").forEach(e -> names.add(e.get("expert").asText()));
    assertEquals(List.of("stories260k", "stories260k-gguf"), names);
    for (JsonNode expert : doc.get("experts")) {
      assertEquals("embedded", expert.get("pool").asText());
      JsonNode replicas = expert.get("replicas");
      assertEquals(1, replicas.size(), expert.toString());
      JsonNode replica = replicas.get(0);
      assertTrue(
          replica.get("id").asText().startsWith(expert.get("expert").asText() + "/colocated/"),
          replica.toString());
      assertEquals("colocated", replica.get("role").asText());
      assertEquals("serving", replica.get("state").asText());
      assertTrue(replica.get("endpoint").isNull(), "an embedded replica has no endpoint");
      assertEquals(512, replica.get("kv_blocks_total").asInt());
      assertEquals(512, expert.at("/load/kv_blocks_total").asInt());
      assertEquals(16, expert.at("/load/max_running").asInt());
      assertEquals(2000.0, expert.at("/slo/ttft/target_ms").asDouble());
      assertEquals(100.0, expert.at("/slo/tpot/target_ms").asDouble());
    }
    List<String> tenants = new ArrayList<>();
    doc.get("tenants").forEach(t -> tenants.add(t.get("tenant").asText()));
    assertEquals(
        List.of("acme", "bulk", "default", "limited", "metered", "single"),
        tenants.stream().sorted().toList());
    assertEquals(2.0, find(doc.get("tenants"), "tenant", "acme").get("weight").asDouble());
    assertEquals(0, doc.at("/fairness/backlogged").asInt());
    // one replica, signals in process: nothing to share with other gateway replicas
    assertEquals("off", doc.at("/fairness/exchange").asText());
    assertEquals(-1, doc.at("/fairness/usage_round_trip_ms").asLong());
    // no limit store configured: each gateway keeps its tenants' limits
    assertEquals("local", doc.at("/limits/mode").asText());
    assertTrue(doc.at("/limits/store_up").isNull());
    JsonNode limited = find(doc.at("/limits/tenants"), "tenant", "limited");
    assertEquals(3, limited.get("requests_per_minute").asLong());
    assertEquals(100_000, limited.get("tokens_per_minute").asLong());
    assertEquals("fail_open", limited.get("when_limits_unavailable").asText());
  }

  @Test
  void aServedRequestShowsInTotalsItsTenantADecisionAndTheSlo() throws Exception {
    JsonNode before = status();
    String body =
        "{\"model\":\"auto\",\"max_tokens\":4,\"temperature\":0,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\""
            + PROMPT
            + "\"}]}";
    HttpRequest chat =
        HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
            .timeout(Duration.ofSeconds(30))
            .header("content-type", "application/json")
            .header("authorization", "Bearer " + Gateway.ACME_KEY)
            .header(MeshHeaders.CATEGORY, "code")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<String> served = HTTP.send(chat, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, served.statusCode(), served.body());
    JsonNode usage = JSON.readTree(served.body()).get("usage");
    HttpResponse<String> raw = send("GET", "/mesh/v1/status");
    JsonNode after = JSON.readTree(raw.body());

    assertFalse(raw.body().contains("haiku"), "the status never carries prompt text");
    assertEquals(before.at("/totals/requests").asLong() + 1, after.at("/totals/requests").asLong());
    assertEquals(
        before.at("/totals/decisions").asLong() + 1, after.at("/totals/decisions").asLong());
    JsonNode acmeBefore = find(before.get("tenants"), "tenant", "acme");
    JsonNode acme = find(after.get("tenants"), "tenant", "acme");
    assertEquals(acmeBefore.get("requests").asLong() + 1, acme.get("requests").asLong());
    assertEquals(
        acmeBefore.get("input_tokens").asLong() + usage.get("prompt_tokens").asLong(),
        acme.get("input_tokens").asLong());
    assertEquals(acmeBefore.get("output_tokens").asLong() + 4, acme.get("output_tokens").asLong());
    assertEquals(0, acme.get("waiting").asInt());
    assertEquals(0, acme.get("admitted").asInt());
    assertTrue(acme.get("vtc_counter").asDouble() > acmeBefore.get("vtc_counter").asDouble());
    assertEquals(
        acmeBefore.get("served_input_tokens").asLong() + usage.get("prompt_tokens").asLong(),
        acme.get("served_input_tokens").asLong());
    assertEquals(
        acmeBefore.get("served_output_tokens").asLong() + 4,
        acme.get("served_output_tokens").asLong());
    assertEquals(0, acme.get("other_replicas_input_tokens").asLong());

    JsonNode decision = after.get("decisions").get(0);
    assertEquals(after.at("/totals/decisions").asLong(), decision.get("seq").asLong());
    assertEquals("acme", decision.get("tenant").asText());
    assertEquals("code", decision.get("category").asText());
    assertEquals("category-hint", decision.get("reason").asText());
    assertEquals("stories260k-gguf", decision.get("expert").asText());
    assertEquals("colocated", decision.get("placement").asText());
    assertEquals(1, decision.get("replicas").size());
    String replica =
        find(after.get("experts"), "expert", "stories260k-gguf").at("/replicas/0/id").asText();
    assertEquals(replica, decision.at("/replicas/0").asText());
    assertEquals(
        List.of(
            "seq",
            "time_ms",
            "tenant",
            "category",
            "confidence",
            "reason",
            "expert",
            "placement",
            "replicas"),
        fieldNames(decision));

    for (String phase : List.of("ttft", "tpot")) {
      JsonNode was = find(before.get("experts"), "expert", "stories260k-gguf").at("/slo/" + phase);
      JsonNode now = find(after.get("experts"), "expert", "stories260k-gguf").at("/slo/" + phase);
      assertEquals(
          was.get("met").asLong() + was.get("missed").asLong() + 1,
          now.get("met").asLong() + now.get("missed").asLong(),
          phase);
      assertTrue(now.get("attainment").isNumber(), now.toString());
    }
    String metrics = send("GET", "/q/metrics").body();
    for (String outcome : List.of("met", "missed")) {
      assertTrue(
          metrics.contains(
              "mesh_slo_requests_total{expert=\"stories260k-gguf\",outcome=\""
                  + outcome
                  + "\",phase=\"ttft\"}"),
          metrics);
    }
    assertTrue(
        metrics.contains("mesh_slo_attainment{expert=\"stories260k-gguf\",phase=\"ttft\"}"),
        metrics);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @ParameterizedTest
  @CsvSource({
    "GET, /mesh/v1/nope",
    "GET, /mesh",
    "POST, /mesh/v1/status",
    "DELETE, /mesh/v1/status",
    "POST, /ui",
    "GET, /ui/nope.js",
  })
  void otherPathsAndMethodsGetOpenAisNotFound(String method, String path) throws Exception {
    HttpResponse<String> r = send(method, path);

    assertEquals(404, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertEquals("unknown_url", error.get("code").asText());
    assertEquals("invalid_request_error", error.get("type").asText());
    assertEquals(
        "Unknown request URL: "
            + method
            + " "
            + path
            + " (this gateway serves GET /mesh/v1/status and the status page at GET /ui)",
        error.get("message").asText());
  }

  @ParameterizedTest
  @CsvSource({
    "/ui, text/html; charset=utf-8",
    "/ui/, text/html; charset=utf-8",
    "/ui/status.js, text/javascript; charset=utf-8",
    "/ui/status.css, text/css; charset=utf-8",
    "/ui/favicon.svg, image/svg+xml",
  })
  void thePageIsServedFromTheGatewayAloneWithoutAKey(String path, String type) throws Exception {
    HttpResponse<String> r = send("GET", path);

    assertEquals(200, r.statusCode(), r.body());
    assertEquals(type, r.headers().firstValue("content-type").orElseThrow());
    assertTrue(
        r.headers()
            .firstValue("content-security-policy")
            .orElseThrow()
            .startsWith("default-src 'none'; script-src 'self'; style-src 'self';"));
    if (!path.endsWith(".svg")) {
      assertFalse(
          r.body().contains("http://") || r.body().contains("https://"), "nothing external");
    }
    if (type.startsWith("text/html")) {
      assertTrue(r.body().contains("<script src=\"/ui/status.js\" defer></script>"));
    }
  }
}
