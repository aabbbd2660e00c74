package dev.coemesh.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code "model": "auto"} through the CoE router of the test profile's routing config
 * (test-routing.yaml: {@code story} → stories260k, {@code code} → stories260k-gguf), with the real
 * MiniLM embedder and the real model behind both experts.
 */
@QuarkusTest
class RoutingApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TestHTTPResource("/")
  URI base;

  @Inject RequestOrchestrator orchestrator;
  @Inject ExpertDirectory experts;
  @Inject VtcScheduler fair;
  @Inject SignalBus signals;

  HttpResponse<String> chat(String model, String content, String... headers) throws Exception {
    ObjectMapper m = JSON;
    var body = m.createObjectNode();
    if (model != null) {
      body.put("model", model);
    }
    body.putArray("messages").addObject().put("role", "user").put("content", content);
    body.put("max_tokens", 4).put("temperature", 0);
    HttpRequest.Builder r =
        HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
            .timeout(Duration.ofSeconds(30))
            .header("content-type", "application/json")
            .header("authorization", "Bearer " + Gateway.DEFAULT_KEY)
            .POST(HttpRequest.BodyPublishers.ofString(m.writeValueAsString(body)));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "auto|Write a Java method that sorts an array of strings by length.|stories260k-gguf",
        "auto|How do I fix a segmentation fault in my C program?|stories260k-gguf",
        "auto|Tell me a story about a little fox who finds a shiny stone.|stories260k",
        "|Once upon a time there was a kind old dragon.|stories260k",
        // an explicit expert is pinned, whatever the prompt says
        "stories260k|Write a Java method that sorts an array of strings by length.|stories260k",
        "stories260k-gguf|Tell me a story about a little fox.|stories260k-gguf",
      })
  void autoIsClassifiedAndAnExpertNameIsPinned(String model, String prompt, String expert)
      throws Exception {
    HttpResponse<String> r = chat(model, prompt);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(expert, r.headers().firstValue(MeshHeaders.EXPERT).orElseThrow());
    assertEquals(expert, JSON.readTree(r.body()).get("model").asText());
  }

  @Test
  void aCategoryHintReplacesTheClassifierAndAnUnknownOneIs400() throws Exception {
    HttpResponse<String> hinted =
        chat("auto", "Tell me a story about a little fox.", MeshHeaders.CATEGORY, "code");
    assertEquals(200, hinted.statusCode(), hinted.body());
    assertEquals("stories260k-gguf", hinted.headers().firstValue(MeshHeaders.EXPERT).get());

    HttpResponse<String> unknown = chat("auto", "Tell me a story.", MeshHeaders.CATEGORY, "poetry");
    assertEquals(400, unknown.statusCode(), unknown.body());
    JsonNode error = JSON.readTree(unknown.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertTrue(error.get("message").asText().contains("poetry"), unknown.body());
    Gateway.awaitIdle(orchestrator, experts, fair);
  }

  @Test
  void eachDecisionIsPublishedAsARoutingSignal() throws Exception {
    List<SignalEvent.RoutingDecision> decisions = new CopyOnWriteArrayList<>();
    try (AutoCloseable sub = signals.subscribe(SignalEvent.RoutingDecision.class, decisions::add)) {
      HttpResponse<String> r = chat("auto", "Implement quicksort in Python, please.");
      assertEquals(200, r.statusCode(), r.body());
      long end = System.nanoTime() + 5_000_000_000L;
      while (decisions.isEmpty() && System.nanoTime() < end) {
        Thread.sleep(10);
      }
    }
    SignalEvent.RoutingDecision d = decisions.getFirst();
    assertEquals("code", d.category());
    assertEquals("stories260k-gguf", d.expert());
    assertEquals("classified", d.reason());
    assertTrue(d.confidence() >= 0.5 && d.confidence() <= 1, "confidence " + d.confidence());
    assertEquals("stories260k-gguf/colocated/embedded-0", d.replica());
  }
}
