package dev.coemesh.routerservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.routerservice.grpc.v1.RouteDecision;
import dev.coemesh.routerservice.grpc.v1.RouteRequest;
import dev.coemesh.routerservice.grpc.v1.RoutingGrpc;
import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The router service over REST and gRPC with the real MiniLM classifier: routing by category to an
 * embedded expert (with a replica reported on the signal bus) and to an upstream, overrides, and
 * every kind of bad input.
 */
@QuarkusTest
class RouterServiceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ReplicaId STORIES_0 =
      new ReplicaId(new ExpertId("stories"), ReplicaRole.COLOCATED, "s-0");

  @TestHTTPResource("/")
  URI base;

  @ConfigProperty(name = "quarkus.grpc.server.test-port")
  int grpcPort;

  @Inject SignalBus signals;

  ManagedChannel channel;

  @BeforeEach
  void reportAReplica() {
    signals.publish(
        new SignalEvent.LoadReport(STORIES_0, 0, 1, 4, 60, 0, 0, System.currentTimeMillis()));
  }

  @AfterEach
  void closeChannel() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  RoutingGrpc.RoutingBlockingStub grpc() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    return RoutingGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Waits until the router has seen the replica report (the bus delivers asynchronously). */
  JsonNode routeStory() throws Exception {
    HttpResponse<String> r = null;
    for (int i = 0; i < 100; i++) {
      r = post("/v1/route", "{\"request_id\":\"w\",\"prompt\":\"Once upon a time\"}");
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body());
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the replica report never arrived: " + r.body());
  }

  @Test
  void everyDocumentedMetricIsScrapedAndADecisionCountsOnce() throws Exception {
    routeStory(); // the replica report has arrived: the next decision is served
    Scrape before = Scrape.of(base.resolve("/q/metrics"));
    routeStory();
    Scrape after = Scrape.of(base.resolve("/q/metrics"));
    assertEquals(
        Set.of(),
        after.missing(MetricsCatalog.ofCheckout().namesOf("router-service")),
        "documented but not exported");
    assertEquals(
        1.0,
        after.sum("mesh_router_replicas", "expert=\"stories\"", "role=\"colocated\""),
        "the replica that reported");
    String[] story = {"expert=\"stories\"", "reason=\"classified\""};
    assertEquals(
        1,
        after.sum("mesh_router_decisions_total", story)
            - before.sum("mesh_router_decisions_total", story));
    assertEquals(
        1,
        after.sum("mesh_router_decision_seconds_count", "outcome=\"ok\"")
            - before.sum("mesh_router_decision_seconds_count", "outcome=\"ok\""));
  }

  @Test
  void aStoryGoesToTheEmbeddedExpertsReportedReplica() throws Exception {
    JsonNode d = routeStory();
    assertEquals("w", d.get("request_id").asText());
    assertEquals("story", d.get("category").asText());
    assertEquals("classified", d.get("reason").asText());
    assertEquals("stories", d.get("expert").asText());
    assertEquals("embedded", d.get("source_type").asText());
    assertEquals("colocated", d.get("mode").asText());
    assertEquals(STORIES_0.toString(), d.get("replica").asText());
    assertTrue(d.get("confidence").asDouble() >= 0.5);
    assertTrue(d.get("scores").has("load"), d.toString());
  }

  @Test
  void aCodingQuestionGoesToTheUpstreamByUrlOverRestAndGrpc() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/route",
            "{\"request_id\":\"c1\",\"prompt\":\"Why does my Rust code not compile? The borrow"
                + " checker complains.\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode d = JSON.readTree(r.body());
    assertEquals("code", d.get("category").asText());
    assertEquals("coder", d.get("expert").asText());
    assertEquals("upstream", d.get("source_type").asText());
    assertEquals("http://127.0.0.1:18000/v1", d.get("upstream_url").asText());
    assertEquals("qwen2.5-coder", d.get("upstream_model").asText());
    assertTrue(d.get("replica").isNull());

    RouteDecision g =
        grpc()
            .route(
                RouteRequest.newBuilder()
                    .setRequestId("c2")
                    .setPrompt("Write a Go function that parses a CSV file.")
                    .build());
    assertEquals("c2", g.getRequestId());
    assertEquals("code", g.getCategory());
    assertEquals("coder", g.getExpert());
    assertEquals("http://127.0.0.1:18000/v1", g.getUpstreamUrl());
    assertEquals("", g.getReplica());
  }

  @Test
  void overridesPinTheExpertOrReplaceTheClassifier() throws Exception {
    routeStory();
    JsonNode pinned =
        JSON.readTree(
            post(
                    "/v1/route",
                    "{\"request_id\":\"p\",\"prompt\":\"Implement a heap\",\"model\":\"stories\"}")
                .body());
    assertEquals("stories", pinned.get("expert").asText());
    assertEquals("explicit-model", pinned.get("reason").asText());
    assertTrue(pinned.get("category").isNull());
    RouteDecision hinted =
        grpc()
            .route(
                RouteRequest.newBuilder()
                    .setRequestId("h")
                    .setPrompt("Tell me a story about a fox")
                    .setCategory("code")
                    .build());
    assertEquals("coder", hinted.getExpert());
    assertEquals("category-hint", hinted.getReason());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "{\"request_id\":\"x\",\"prompt\":\"hi\",\"model\":\"gpt-9\"}|404|model_not_found|model",
        "{\"request_id\":\"x\",\"prompt\":\"hi\",\"category\":\"poetry\"}|400|invalid_request||",
        "{\"prompt\":\"hi\"}|400|invalid_request||",
        "{\"request_id\":\"x\",\"prompt\":\"\"}|400|invalid_request||",
        "{\"request_id\":\"x\",\"prompt\":\"hi\",\"temperature\":1}|400|invalid_request|temperature",
        "{\"request_id\":\"x\",\"prompt\":\"hi\",\"token_ids\":\"abc\"}|400|invalid_request||",
        "{\"request_id\":\"x\",\"prompt\":\"hi\",\"token_ids\":[-1]}|400|invalid_request|token_ids",
        "{\"request_id\":\"x\",\"token_ids\":[1],\"block_hashes\":[2]}|400|invalid_request||",
        "{\"request_id\":\"x\",|400|invalid_request||",
        "[]|400|invalid_request||",
        "``|400|invalid_request||",
      })
  void badRestInputGetsOpenAiShapedErrors(String body, int status, String code, String param)
      throws Exception {
    HttpResponse<String> r = post("/v1/route", body);
    assertEquals(status, r.statusCode(), body + " -> " + r.body());
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertEquals(code, error.get("code").asText(), r.body());
    assertTrue(error.get("message").asText().length() > 3, r.body());
    if (param != null) {
      assertEquals(param, error.get("param").asText(), r.body());
    }
  }

  @Test
  void unknownUrlsAndMethodsAreOpenAiShaped() throws Exception {
    HttpResponse<String> r = post("/v1/nothing", "{}");
    assertEquals(404, r.statusCode());
    assertEquals("unknown_url", JSON.readTree(r.body()).at("/error/code").asText());
    HttpResponse<String> get =
        HTTP.send(
            HttpRequest.newBuilder(base.resolve("/v1/route")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, get.statusCode());
    assertTrue(JSON.readTree(get.body()).has("error"), get.body());
  }

  @Test
  void badGrpcInputGetsTheMatchingStatus() {
    RoutingGrpc.RoutingBlockingStub stub = grpc();
    record Case(RouteRequest request, Status.Code expected) {}
    for (Case c :
        List.of(
            new Case(
                RouteRequest.newBuilder().setPrompt("hi").build(), Status.Code.INVALID_ARGUMENT),
            new Case(
                RouteRequest.newBuilder()
                    .setRequestId("x")
                    .setPrompt("hi")
                    .setModel("gpt-9")
                    .build(),
                Status.Code.NOT_FOUND),
            new Case(
                RouteRequest.newBuilder()
                    .setRequestId("x")
                    .setPrompt("hi")
                    .setCategory("poetry")
                    .build(),
                Status.Code.INVALID_ARGUMENT),
            new Case(
                RouteRequest.newBuilder().setRequestId("x").setPrompt("hi").addTokenIds(-1).build(),
                Status.Code.INVALID_ARGUMENT))) {
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> stub.route(c.request()));
      assertEquals(c.expected(), e.getStatus().getCode(), c.request().toString());
    }
  }

  @Test
  void theRoutingInForceIsVisible() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(base.resolve("/v1/routing")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode routing = JSON.readTree(r.body());
    assertEquals("[\"story\",\"code\"]", routing.get("categories").toString());
    assertEquals("stories", routing.get("fallback_expert").asText());
    assertTrue(routing.get("cross_validated_accuracy").size() >= 1, r.body());
  }
}
