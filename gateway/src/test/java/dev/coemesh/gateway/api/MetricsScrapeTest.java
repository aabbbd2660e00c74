package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.DEFAULT_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The embedded gateway's {@code /q/metrics}, scraped over HTTP around real requests: it exports
 * every metric observability/METRICS.md lists for the gateway, and one request moves each request
 * metric by exactly one, under the labels the catalogue promises.
 */
@QuarkusTest
class MetricsScrapeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT =
      "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
          + "\"Tell me a story about a little bear.\"}],\"max_tokens\":6,\"temperature\":0}";
  private static final String COMPLETION =
      "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,"
          + "\"temperature\":0}";
  private static final String TOO_LONG =
      "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\",\"max_tokens\":100000}";

  @TestHTTPResource("/")
  URI base;

  @Inject RequestOrchestrator orchestrator;
  @Inject ExpertDirectory experts;
  @Inject VtcScheduler fair;

  private Scrape scrape() throws Exception {
    return Scrape.of(base.resolve("/q/metrics"));
  }

  @Test
  void everyDocumentedGatewayMetricIsExportedAfterARequest() throws Exception {
    HttpResponse<String> r = Gateway.post(base, "/v1/chat/completions", DEFAULT_KEY, CHAT);
    assertEquals(200, r.statusCode(), r.body());
    Gateway.awaitIdle(orchestrator, experts, fair);

    Set<String> documented = MetricsCatalog.ofCheckout().namesOf("gateway");
    assertFalse(documented.isEmpty());
    assertEquals(Set.of(), scrape().missing(documented), "documented but not exported");
  }

  @Test
  void aChatRoutedByTheClassifierCountsOnceInEachRequestAndRoutingMetric() throws Exception {
    String[] chat = {"gen_ai_operation_name=\"chat\"", "gen_ai_request_model=\"stories260k\""};
    Scrape before = scrape();
    HttpResponse<String> r = Gateway.post(base, "/v1/chat/completions", DEFAULT_KEY, CHAT);
    assertEquals(200, r.statusCode(), r.body());
    Gateway.awaitIdle(orchestrator, experts, fair);
    Scrape after = scrape();

    assertEquals(1, delta(before, after, "gen_ai_server_time_to_first_token_seconds_count", chat));
    assertEquals(
        1, delta(before, after, "gen_ai_server_time_per_output_token_seconds_count", chat));
    assertEquals(
        1,
        delta(
            before,
            after,
            "gen_ai_server_request_duration_seconds_count",
            chat[0],
            chat[1],
            "error_type=\"\""));
    String[] output = {chat[0], chat[1], "gen_ai_token_type=\"output\""};
    int generated = JSON.readTree(r.body()).at("/usage/completion_tokens").asInt();
    assertEquals(1, delta(before, after, "gen_ai_client_token_usage_count", output));
    assertEquals(generated, delta(before, after, "gen_ai_client_token_usage_sum", output));
    assertEquals(
        generated,
        delta(
            before,
            after,
            "mesh_gateway_tokens_total",
            "expert=\"stories260k\"",
            "tenant=\"default\"",
            "type=\"output\""));
    assertEquals(
        1,
        delta(
            before,
            after,
            "mesh_routing_decisions_total",
            "category=\"story\"",
            "expert=\"stories260k\"",
            "placement=\"colocated\""));
    assertEquals(1, delta(before, after, "mesh_routing_confidence_count", "category=\"story\""));
    assertEquals(
        1,
        delta(before, after, "mesh_routing_confidence_bucket", "category=\"story\"", "le=\"1.0\""));
  }

  @Test
  void aCompletionIsATextCompletionAndARefusedOneCarriesItsErrorType() throws Exception {
    Scrape before = scrape();
    assertEquals(200, Gateway.post(base, "/v1/completions", DEFAULT_KEY, COMPLETION).statusCode());
    assertEquals(400, Gateway.post(base, "/v1/completions", DEFAULT_KEY, TOO_LONG).statusCode());
    Gateway.awaitIdle(orchestrator, experts, fair);
    Scrape after = scrape();

    String completion = "gen_ai_operation_name=\"text_completion\"";
    String model = "gen_ai_request_model=\"stories260k\"";
    assertEquals(
        1,
        delta(
            before,
            after,
            "gen_ai_server_request_duration_seconds_count",
            completion,
            model,
            "error_type=\"\""));
    assertEquals(
        1,
        delta(
            before,
            after,
            "gen_ai_server_request_duration_seconds_count",
            completion,
            "error_type=\"context_length_exceeded\""));
    assertEquals(
        0,
        delta(before, after, "mesh_routing_confidence_count", "category=\"story\""),
        "a model named by the client is not a classifier decision");
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
