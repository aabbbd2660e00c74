package dev.coemesh.routerservice.epp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.Router;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.testkit.metrics.Scrape;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router as an Envoy ext_proc endpoint picker, over real gRPC streams replayed as Envoy sends
 * them, with the real MiniLM classifier and replicas announced on the signal bus with their
 * endpoints: the pick, the subset hint, shedding, every rejection, the health service and the
 * in-flight count.
 */
@QuarkusTest
@TestProfile(EndpointPickerTest.Profile.class)
class EndpointPickerTest {
  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "mesh.router.config", "classpath:routing/epp-test.yaml",
          "mesh.epp.max-body-size", "64K",
          "mesh.epp.objectives.nightly-eval", "-1",
          "mesh.epp.objectives.chat", "10");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ExpertId STORIES = new ExpertId("stories");
  private static final ExpertId SPLIT = new ExpertId("split");
  private static final ReplicaId S0 = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "s-0");
  private static final ReplicaId S1 = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "s-1");
  private static final ReplicaId P0 = new ReplicaId(SPLIT, ReplicaRole.PREFILL, "p-0");
  private static final ReplicaId D0 = new ReplicaId(SPLIT, ReplicaRole.DECODE, "d-0");
  // Announced gRPC endpoints, and the HTTP endpoints Envoy is told (the pool's port, 10201).
  private static final String S0_HTTP = "10.0.0.1:10201";
  private static final String S1_HTTP = "10.0.0.2:10201";
  private static final String D0_HTTP = "10.0.1.2:10201";
  private static final String P0_GRPC = "10.0.1.1:9201";

  private static final String STORY_CHAT =
      "{\"model\":\"auto\",\"stream\":true,\"messages\":[{\"role\":\"system\",\"content\":\"You"
          + " write code.\"},{\"role\":\"user\",\"content\":\"Implement binary search in"
          + " C++.\"},{\"role\":\"assistant\",\"content\":\"Done.\"},{\"role\":\"user\","
          + "\"content\":\"Now tell me a bedtime story about a little bear.\"}]}";
  private static final String CODE_CHAT =
      "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"Why does my Rust code"
          + " not compile? The borrow checker complains.\"}]}";

  @ConfigProperty(name = "quarkus.grpc.server.test-port")
  int grpcPort;

  @TestHTTPResource("/")
  URI base;

  @Inject SignalBus signals;
  @Inject Router router;
  @Inject InFlight inFlight;

  ManagedChannel channel;

  @BeforeEach
  void announceReplicas() throws InterruptedException {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    // s-0 idle, s-1 busier: the router's load scorer prefers s-0.
    announce(S0, "10.0.0.1:9101", 0, 0, 60);
    announce(S1, "10.0.0.2:9101", 3, 3, 60);
    announce(P0, P0_GRPC, 0, 0, 60);
    announce(D0, "10.0.1.2:9202", 0, 0, 60);
  }

  @AfterEach
  void closeChannel() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Reports a replica's load and endpoint and waits until the router has it. */
  void announce(ReplicaId id, String endpoint, int queued, int running, int kvFree)
      throws InterruptedException {
    signals.publish(
        new SignalEvent.LoadReport(
            id,
            endpoint,
            0,
            queued,
            running,
            64 - kvFree,
            kvFree,
            50,
            10,
            System.currentTimeMillis()));
    for (int i = 0; i < 500; i++) {
      ReplicaView v = router.replica(id);
      if (v != null
          && endpoint.equals(v.endpoint())
          && v.queueDepth() == queued
          && v.kvBlocksFree() == kvFree
          && v.placedSinceReport() == 0) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the router never saw the report of " + id);
  }

  EnvoyStream duplex() {
    return new EnvoyStream(channel, BodySendMode.FULL_DUPLEX_STREAMED);
  }

  /** Sends {@code body} in {@code parts} chunks, end of stream on the last. */
  static void chunks(EnvoyStream s, String body, int parts) {
    int step = (body.length() + parts - 1) / parts;
    for (int i = 0; i < body.length(); i += step) {
      s.body(body.substring(i, Math.min(body.length(), i + step)), i + step >= body.length());
    }
  }

  /** The full-duplex answer: headers with the destination, then the body streamed back whole. */
  record Routed(CommonResponse headers, String metadataDestination, String body) {
    String destination() {
      return EnvoyStream.setHeader(headers, EnvoyMessages.DESTINATION);
    }

    String prefill() {
      return EnvoyStream.setHeader(headers, EnvoyMessages.PREFILL);
    }
  }

  static Routed routed(EnvoyStream s) throws InterruptedException {
    ProcessingResponse first = s.next();
    assertTrue(first.hasRequestHeaders(), "the headers are answered first: " + first);
    StringBuilder body = new StringBuilder();
    while (true) {
      ProcessingResponse r = s.next();
      assertTrue(r.hasRequestBody(), r.toString());
      var streamed = r.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
      body.append(streamed.getBody().toStringUtf8());
      if (streamed.getEndOfStream()) {
        break;
      }
    }
    return new Routed(
        first.getRequestHeaders().getResponse(), EnvoyStream.lbDestination(first), body.toString());
  }

  /** An immediate response: its status and its OpenAI error. */
  record Rejected(int status, JsonNode error) {}

  static Rejected rejected(EnvoyStream s) throws Exception {
    ProcessingResponse r = s.next();
    assertTrue(r.hasImmediateResponse(), "an immediate response: " + r);
    ImmediateResponse i = r.getImmediateResponse();
    assertEquals(
        "application/json",
        i.getHeaders().getSetHeaders(0).getHeader().getRawValue().toStringUtf8());
    return new Rejected(
        i.getStatus().getCodeValue(), JSON.readTree(i.getBody().toByteArray()).get("error"));
  }

  Rejected reject(String path, Map<String, String> headers, List<String> subset, String body)
      throws Exception {
    EnvoyStream s = duplex().headers(path, headers, subset);
    chunks(s, body, 2);
    Rejected r = rejected(s);
    s.close();
    return r;
  }

  @Test
  void aChatInChunksGoesToTheLeastLoadedStoryReplicaAndItsBodyFollowsUnchanged() throws Exception {
    EnvoyStream s = duplex().headers("/v1/chat/completions", Map.of(), null);
    chunks(s, STORY_CHAT, 4);
    Routed r = routed(s);
    assertEquals(S0_HTTP, r.destination());
    assertEquals(S0_HTTP, r.metadataDestination(), "the header and the envoy.lb metadata agree");
    assertTrue(r.headers().getClearRouteCache());
    assertEquals(
        List.of(EnvoyMessages.PREFILL), r.headers().getHeaderMutation().getRemoveHeadersList());
    assertEquals(STORY_CHAT, r.body());
    assertEquals(1, inFlight.of(S0_HTTP));
    // The response passes; its body is echoed in full-duplex mode, and its end ends the request.
    s.responseHeaders(200, false);
    assertTrue(s.next().hasResponseHeaders());
    s.responseBody("data: {\"choices\":[]}\n\n", false);
    assertEquals(
        "data: {\"choices\":[]}\n\n",
        s.next()
            .getResponseBody()
            .getResponse()
            .getBodyMutation()
            .getStreamedResponse()
            .getBody()
            .toStringUtf8());
    assertEquals(1, inFlight.of(S0_HTTP));
    s.responseBody("data: [DONE]\n\n", true);
    assertTrue(
        s.next()
            .getResponseBody()
            .getResponse()
            .getBodyMutation()
            .getStreamedResponse()
            .getEndOfStream());
    assertEquals(0, inFlight.of(S0_HTTP));
    assertEquals(0, inFlight.total());
    s.close();
  }

  @Test
  void aBufferedCompletionIsAnsweredOnItsBody() throws Exception {
    EnvoyStream s =
        new EnvoyStream(channel, BodySendMode.BUFFERED)
            .headers("/v1/completions", Map.of("x-request-id", "buffered-1"), null);
    ProcessingResponse headers = s.next();
    assertEquals(CommonResponse.getDefaultInstance(), headers.getRequestHeaders().getResponse());
    s.body("{\"model\":\"auto\",\"prompt\":\"Once upon a time there was a little bear.\"}", true);
    ProcessingResponse body = s.next();
    CommonResponse c = body.getRequestBody().getResponse();
    assertEquals(S0_HTTP, EnvoyStream.setHeader(c, EnvoyMessages.DESTINATION));
    assertEquals(S0_HTTP, EnvoyStream.lbDestination(body));
    assertFalse(c.hasBodyMutation(), "the buffered body goes upstream unchanged");
    s.responseHeaders(200, true);
    assertTrue(s.next().hasResponseHeaders());
    assertEquals(0, inFlight.total());
    s.close();
  }

  @Test
  void aCodingQuestionGoesToTheDisaggregatedExpertsDecodeReplicaWithItsPrefill() throws Exception {
    EnvoyStream s = duplex().headers("/v1/chat/completions", Map.of(), null);
    chunks(s, CODE_CHAT, 3);
    Routed r = routed(s);
    assertEquals(D0_HTTP, r.destination());
    assertEquals(D0_HTTP, r.metadataDestination());
    assertEquals(P0_GRPC, r.prefill());
    assertEquals(CODE_CHAT, r.body());
    s.close(); // Envoy ended the stream before the response (a reset): nothing stays in flight
    assertEquals(0, inFlight.total());
  }

  @Test
  void anExplicitModelOverridesTheClassifier() throws Exception {
    String body = "{\"model\":\"split\",\"prompt\":\"Once upon a time there was a little bear.\"}";
    EnvoyStream s = duplex().headers("/v1/completions", Map.of(), null);
    chunks(s, body, 2);
    Routed r = routed(s);
    assertEquals(D0_HTTP, r.destination());
    assertEquals(P0_GRPC, r.prefill());
    s.close();
  }

  @Test
  void theSubsetHintRestrictsTheChoice() throws Exception {
    EnvoyStream s = duplex().headers("/v1/chat/completions", Map.of(), List.of(S1_HTTP, D0_HTTP));
    chunks(s, STORY_CHAT, 3);
    Routed r = routed(s);
    assertEquals(S1_HTTP, r.destination(), "s-0 is less loaded but not in the subset");
    assertEquals(S1_HTTP, r.metadataDestination());
    s.close();
  }

  @Test
  void theSubsetHintOfThePoolsOpenAiPodsKeepsTheirPrefillReplicas() throws Exception {
    // The pool selects the pods that answer HTTP (colocated and decode); prefill pods are not its
    // endpoints, so the hint never names them, yet the decode worker still needs one.
    EnvoyStream s =
        duplex().headers("/v1/chat/completions", Map.of(), List.of(S0_HTTP, S1_HTTP, D0_HTTP));
    chunks(s, CODE_CHAT, 2);
    Routed r = routed(s);
    assertEquals(D0_HTTP, r.destination());
    assertEquals(P0_GRPC, r.prefill());
    s.close();
  }

  @Test
  void aSubsetHintWithNoEndpointOfTheExpertIs503() throws Exception {
    Rejected r =
        reject("/v1/chat/completions", Map.of(), List.of("10.9.9.9:10201", D0_HTTP), STORY_CHAT);
    assertEquals(503, r.status());
    assertEquals("no_healthy_replica", r.error().get("code").asText());
    assertEquals("server_error", r.error().get("type").asText());
    assertEquals(
        "none of the 2 endpoints of the subset hint serves stories",
        r.error().get("message").asText());
    Rejected empty = reject("/v1/chat/completions", Map.of(), List.of(), STORY_CHAT);
    assertEquals(503, empty.status());
  }

  @Test
  void anExpertWithoutALiveReplicaOrServedUpstreamIs503() throws Exception {
    Rejected ghost =
        reject("/v1/completions", Map.of(), null, "{\"model\":\"ghost\",\"prompt\":\"hi there\"}");
    assertEquals(503, ghost.status());
    assertEquals(
        "no replica of ghost has announced its endpoint recently",
        ghost.error().get("message").asText());
    Rejected coder =
        reject("/v1/completions", Map.of(), null, "{\"model\":\"coder\",\"prompt\":\"hi there\"}");
    assertEquals(503, coder.status());
    assertEquals(
        "expert coder is served by its upstream URL, not by this pool",
        coder.error().get("message").asText());
  }

  @Test
  void malformedBodiesAre400AndAnUnknownModel404() throws Exception {
    Rejected notJson = reject("/v1/chat/completions", Map.of(), null, "{\"model\": nope");
    assertEquals(400, notJson.status());
    assertEquals("invalid_request", notJson.error().get("code").asText());
    assertEquals("the request body is not valid JSON", notJson.error().get("message").asText());
    Rejected noMessages = reject("/v1/chat/completions", Map.of(), null, "{\"model\":\"auto\"}");
    assertEquals(400, noMessages.status());
    assertEquals("messages", noMessages.error().get("param").asText());
    Rejected noPrompt = reject("/v1/completions", Map.of(), null, "{\"prompt\":42}");
    assertEquals(400, noPrompt.status());
    assertEquals("prompt", noPrompt.error().get("param").asText());
    Rejected badPriority =
        reject("/v1/chat/completions", Map.of("x-mesh-priority", "urgent"), null, STORY_CHAT);
    assertEquals(400, badPriority.status());
    assertEquals(
        "x-mesh-priority must be 'interactive' or 'batch', got 'urgent'",
        badPriority.error().get("message").asText());
    Rejected unknown =
        reject("/v1/completions", Map.of(), null, "{\"model\":\"gpt-9\",\"prompt\":\"hi\"}");
    assertEquals(404, unknown.status());
    assertEquals("model_not_found", unknown.error().get("code").asText());
    assertEquals("model", unknown.error().get("param").asText());
    assertEquals(0, inFlight.total());
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    EnvoyStream s = duplex().headers("/v1/completions", Map.of(), null);
    String kib = "x".repeat(1024);
    for (int i = 0; i < 65; i++) {
      s.body(kib, false);
    }
    Rejected r = rejected(s);
    assertEquals(413, r.status());
    assertEquals("the request body exceeds 65536 bytes", r.error().get("message").asText());
    assertNull(s.poll(200), "nothing after the rejection");
    s.close();
  }

  @Test
  void whenEveryReplicaIsSaturatedBatchIsShedAndInteractiveGoesToTheLeastLoaded() throws Exception {
    announce(S0, "10.0.0.1:9101", 4, 2, 0);
    announce(S1, "10.0.0.2:9101", 1, 2, 0);
    Rejected batch =
        reject("/v1/chat/completions", Map.of("x-mesh-priority", "batch"), null, STORY_CHAT);
    assertEquals(429, batch.status());
    assertEquals("request_shed", batch.error().get("code").asText());
    assertEquals("rate_limit_error", batch.error().get("type").asText());
    Rejected sheddableObjective =
        reject(
            "/v1/chat/completions",
            Map.of("x-gateway-inference-objective", "nightly-eval"),
            null,
            STORY_CHAT);
    assertEquals(429, sheddableObjective.status());

    EnvoyStream s =
        duplex()
            .headers("/v1/chat/completions", Map.of("x-gateway-inference-objective", "chat"), null);
    chunks(s, STORY_CHAT, 2);
    Routed r = routed(s);
    assertEquals(S1_HTTP, r.destination(), "the least loaded of the saturated replicas");
    s.cancel(); // the client goes away mid-response: the count still returns to 0
    for (int i = 0; i < 200 && inFlight.total() != 0; i++) {
      Thread.sleep(10);
    }
    assertEquals(0, inFlight.total());
  }

  @Test
  void aPickAndARejectionAreCountedAndTheDecisionAsTheRestPathCountsIt() throws Exception {
    Scrape before = Scrape.of(base.resolve("/q/metrics"));
    EnvoyStream s = duplex().headers("/v1/chat/completions", Map.of(), null);
    chunks(s, STORY_CHAT, 2);
    assertEquals(S0_HTTP, routed(s).destination());
    assertEquals(
        1.0,
        Scrape.of(base.resolve("/q/metrics")).sum("mesh_epp_in_flight"),
        "picked, its response not ended");
    s.close();
    reject("/v1/completions", Map.of(), null, "{\"model\":\"gpt-9\",\"prompt\":\"hi\"}");
    Scrape after = Scrape.of(base.resolve("/q/metrics"));
    String[][] deltas = {
      {"mesh_epp_requests_total", "outcome=\"routed\""},
      {"mesh_epp_requests_total", "outcome=\"model_not_found\""},
      {"mesh_router_decisions_total", "expert=\"stories\"", "reason=\"classified\""},
      {"mesh_router_decision_seconds_count", "outcome=\"model_not_found\""}
    };
    for (String[] d : deltas) {
      String[] labels = java.util.Arrays.copyOfRange(d, 1, d.length);
      assertEquals(1.0, after.sum(d[0], labels) - before.sum(d[0], labels), String.join(" ", d));
    }
    assertEquals(0.0, after.sum("mesh_epp_in_flight"));
  }

  @Test
  void theExtProcHealthServiceIsServing() {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (String service : List.of(EppHealth.EXT_PROC_SERVICE, "liveness", "readiness", "")) {
      assertEquals(
          ServingStatus.SERVING,
          health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus(),
          service);
    }
  }
}
