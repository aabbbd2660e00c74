package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.CONTINUATION;
import static dev.coemesh.gateway.testing.Gateway.DEFAULT_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.ChatTurn;
import dev.coemesh.worker.client.Replanner;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible REST API, byte for byte, over the real model. */
@QuarkusTest
class RestApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TestHTTPResource("/")
  URI base;

  @Inject RequestOrchestrator orchestrator;
  @Inject ExpertDirectory experts;
  @Inject VtcScheduler fair;

  HttpResponse<String> post(String path, String key, String body) throws Exception {
    return Gateway.post(base, path, key, body);
  }

  @Test
  void completionReturnsTheModelsGreedyTextUsageAndTheExpert() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/completions",
            DEFAULT_KEY,
            "{\"model\":\"auto\",\"prompt\":\"Once upon a time\",\"max_tokens\":26,"
                + "\"temperature\":0}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("stories260k", r.headers().firstValue("x-mesh-expert").orElseThrow());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.get("id").asText().startsWith("cmpl-"));
    assertEquals("text_completion", body.get("object").asText());
    assertEquals("stories260k", body.get("model").asText());
    assertEquals(CONTINUATION, body.at("/choices/0/text").asText());
    assertEquals("length", body.at("/choices/0/finish_reason").asText());
    assertEquals(
        JSON.readTree(
            "{\"prompt_tokens\":5,\"completion_tokens\":26,\"total_tokens\":31,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0}}"),
        body.get("usage"));
  }

  @Test
  void aModelNamingAnExpertPinsIt() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/completions",
            DEFAULT_KEY,
            "{\"model\":\"stories260k-gguf\",\"prompt\":\"Once upon a time\",\"max_tokens\":26,"
                + "\"temperature\":0}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("stories260k-gguf", r.headers().firstValue("x-mesh-expert").orElseThrow());
    JsonNode body = JSON.readTree(r.body());
    assertEquals("stories260k-gguf", body.get("model").asText());
    // the GGUF holds the same weights: the same tokens
    assertEquals(CONTINUATION, body.at("/choices/0/text").asText());
  }

  @Test
  void chatCompletionIsTheTemplatedPromptsGreedyContinuation() throws Exception {
    String expected =
        direct(
            ChatFormat.PLAIN.render(List.of(new ChatTurn("user", "Tell me a story.")), true), 20);
    HttpResponse<String> r =
        post(
            "/v1/chat/completions",
            DEFAULT_KEY,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],"
                + "\"max_completion_tokens\":20,\"temperature\":0}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
    assertEquals("chat.completion", body.get("object").asText());
    assertEquals("assistant", body.at("/choices/0/message/role").asText());
    assertEquals(expected, body.at("/choices/0/message/content").asText());
    assertTrue(body.at("/choices/0/message/refusal").isNull());
    assertEquals(20, body.at("/usage/completion_tokens").asInt());
  }

  @Test
  void stopSequencesEndTheTextBeforeThem() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/completions",
            DEFAULT_KEY,
            "{\"prompt\":\"Once upon a time\",\"max_tokens\":26,\"temperature\":0,"
                + "\"stop\":[\"Lily\",\"zebra\"]}");
    JsonNode body = JSON.readTree(r.body());
    assertEquals(", there was a little girl named ", body.at("/choices/0/text").asText());
    assertEquals("stop", body.at("/choices/0/finish_reason").asText());
  }

  @Test
  void seededSamplingIsReproducible() throws Exception {
    String req =
        "{\"prompt\":\"Once upon a time\",\"max_tokens\":30,\"temperature\":1.0,\"top_p\":0.9,"
            + "\"seed\":7}";
    String a = JSON.readTree(post("/v1/completions", DEFAULT_KEY, req).body()).toString();
    String b = JSON.readTree(post("/v1/completions", DEFAULT_KEY, req).body()).toString();
    assertEquals(
        JSON.readTree(a).at("/choices/0/text").asText(),
        JSON.readTree(b).at("/choices/0/text").asText());
  }

  @Test
  void streamedCompletionIsOpenAisEventStream() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/completions",
            DEFAULT_KEY,
            "{\"prompt\":\"Once upon a time\",\"max_tokens\":26,\"temperature\":0,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(
        "text/event-stream; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
    assertEquals("stories260k", r.headers().firstValue("x-mesh-expert").orElseThrow());
    List<JsonNode> events = events(r.body());
    StringBuilder text = new StringBuilder();
    for (JsonNode e : events.subList(0, events.size() - 2)) {
      assertEquals("text_completion", e.get("object").asText());
      assertTrue(e.at("/choices/0/finish_reason").isNull());
      assertTrue(e.get("usage") == null);
      text.append(e.at("/choices/0/text").asText());
    }
    assertEquals(CONTINUATION, text.toString());
    JsonNode finish = events.get(events.size() - 2);
    assertEquals("length", finish.at("/choices/0/finish_reason").asText());
    JsonNode usage = events.getLast();
    assertEquals(0, usage.get("choices").size());
    assertEquals(31, usage.at("/usage/total_tokens").asInt());
  }

  @Test
  void streamedChatStartsWithTheAssistantRoleAndEndsWithDone() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/chat/completions",
            DEFAULT_KEY,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],"
                + "\"max_tokens\":20,\"temperature\":0,\"stream\":true}");
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> events = events(r.body());
    assertEquals("chat.completion.chunk", events.getFirst().get("object").asText());
    assertEquals("assistant", events.getFirst().at("/choices/0/delta/role").asText());
    StringBuilder text = new StringBuilder();
    for (JsonNode e : events) {
      text.append(e.at("/choices/0/delta/content").asText(""));
      if (e != events.getFirst()) {
        assertTrue(e.at("/choices/0/delta/role").isMissingNode());
      }
    }
    JsonNode last = events.getLast();
    assertEquals("length", last.at("/choices/0/finish_reason").asText());
    assertEquals(JSON.readTree("{}"), last.at("/choices/0/delta"));
    assertTrue(last.get("usage") == null, "no usage chunk unless asked for");
    String expected =
        direct(
            ChatFormat.PLAIN.render(List.of(new ChatTurn("user", "Tell me a story.")), true), 20);
    assertEquals(expected, text.toString());
  }

  @Test
  void modelsListsEveryExpertAndTheAutoAlias() throws Exception {
    HttpResponse<String> r = Gateway.get(base, "/v1/models", DEFAULT_KEY);
    assertEquals(200, r.statusCode());
    JsonNode body = JSON.readTree(r.body());
    assertEquals("list", body.get("object").asText());
    List<String> ids = new ArrayList<>();
    body.get("data").forEach(m -> ids.add(m.get("id").asText()));
    assertEquals(List.of("stories260k", "stories260k-gguf", "auto"), ids);
    assertEquals("model", body.at("/data/0/object").asText());
  }

  /** Status, OpenAI error code and param for each kind of bad input. */
  @Test
  void badInputGetsOpenAiShapedErrors() throws Exception {
    record Case(String path, String key, String body, int status, String code, String param) {}
    String msg = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    List<Case> cases =
        List.of(
            new Case("/v1/chat/completions", null, "{" + msg + "}", 401, "unauthenticated", null),
            new Case("/v1/chat/completions", "nope", "{" + msg + "}", 401, "unauthenticated", null),
            new Case("/v1/completions", "", "{\"prompt\":\"a\"}", 401, "unauthenticated", null),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"messages\":",
                400,
                "invalid_request",
                null),
            new Case("/v1/chat/completions", DEFAULT_KEY, "", 400, "invalid_request", null),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"messages\":[]}",
                400,
                "invalid_request",
                "messages"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"messages\":\"hi\"}",
                400,
                "invalid_request",
                "messages"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"max_tokens\":\"9\"," + msg + "}",
                400,
                "invalid_request",
                "max_tokens"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"temperature\":3," + msg + "}",
                400,
                "invalid_request",
                "temperature"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]," + msg + "}",
                400,
                "unsupported_parameter",
                "tools"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"tools\":[{\"type\":\"function\"}]," + msg + "}",
                400,
                "invalid_request",
                "tools[0].function"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"bogus\":1," + msg + "}",
                400,
                "unsupported_parameter",
                "bogus"),
            new Case(
                "/v1/chat/completions",
                DEFAULT_KEY,
                "{\"model\":\"gpt-4o\"," + msg + "}",
                404,
                "model_not_found",
                "model"),
            new Case(
                "/v1/completions", DEFAULT_KEY, "{\"prompt\":7}", 400, "invalid_request", "prompt"),
            new Case(
                "/v1/completions",
                DEFAULT_KEY,
                "{\"prompt\":\"" + "the cat sat. ".repeat(300) + "\"}",
                400,
                "context_length_exceeded",
                "prompt"),
            new Case(
                "/v1/completions",
                DEFAULT_KEY,
                "{\"model\":\"stories260k-gguf\",\"prompt\":\"Once\",\"max_tokens\":200}",
                400,
                "context_length_exceeded",
                "max_tokens"));
    for (Case c : cases) {
      HttpResponse<String> r = post(c.path, c.key, c.body);
      String what = c.body.length() > 80 ? c.body.substring(0, 80) : c.body;
      assertEquals(c.status, r.statusCode(), what + " -> " + r.body());
      assertEquals("application/json", r.headers().firstValue("content-type").orElse(""), what);
      JsonNode error = JSON.readTree(r.body()).get("error");
      assertEquals(c.code, error.get("code").asText(), what);
      assertEquals(c.param, error.get("param").isNull() ? null : error.get("param").asText(), what);
      assertTrue(error.get("message").asText().length() > 5, what);
      assertTrue(error.has("type"), what);
    }
    Gateway.awaitIdle(orchestrator, experts, fair);
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413() throws Exception {
    // 64 KiB in the test profile
    String huge = "{\"prompt\":\"" + "a".repeat(70_000) + "\"}";
    HttpResponse<String> r = post("/v1/completions", DEFAULT_KEY, huge);
    assertEquals(413, r.statusCode());
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertEquals("payload_too_large", error.get("code").asText());
    assertEquals("invalid_request_error", error.get("type").asText());
  }

  @Test
  void unknownUrlsGetAnOpenAiShaped404() throws Exception {
    HttpResponse<String> r = Gateway.get(base, "/v1/embeddings", DEFAULT_KEY);
    assertEquals(404, r.statusCode());
    assertEquals("unknown_url", JSON.readTree(r.body()).at("/error/code").asText());
  }

  @Test
  void aModelsListWithoutAKeyIsUnauthenticated() throws Exception {
    assertEquals(401, Gateway.get(base, "/v1/models", null).statusCode());
  }

  @Test
  void aTenantOverItsTokensPerMinuteGets429WithRetryAfter() throws Exception {
    String req = "{\"prompt\":\"Once upon a time\",\"max_tokens\":26,\"temperature\":0}";
    // 40 tokens per minute: 31, then 62 (each let in while under the limit), then refused
    assertEquals(200, post("/v1/completions", Gateway.METERED_KEY, req).statusCode());
    assertEquals(200, post("/v1/completions", Gateway.METERED_KEY, req).statusCode());
    HttpResponse<String> r = post("/v1/completions", Gateway.METERED_KEY, req);
    assertEquals(429, r.statusCode(), r.body());
    // OpenAI's shape of a rate limit: the limit as type, rate_limit_exceeded as code
    assertEquals("rate_limit_exceeded", JSON.readTree(r.body()).at("/error/code").asText());
    assertEquals("tokens", JSON.readTree(r.body()).at("/error/type").asText());
    assertEquals("40", r.headers().firstValue("x-ratelimit-limit-tokens").orElseThrow());
    int retry = Integer.parseInt(r.headers().firstValue("retry-after").orElseThrow());
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
  }

  @Test
  void aFullTenantQueueGets429AndADisconnectFreesEverything() throws Exception {
    // the single tenant may run one request and queue none
    try (Socket first = openStream(Gateway.SINGLE_KEY, 500)) {
      HttpResponse<String> r =
          post("/v1/completions", Gateway.SINGLE_KEY, "{\"prompt\":\"Once\",\"max_tokens\":3}");
      assertEquals(429, r.statusCode(), r.body());
      assertEquals("tenant_queue_full", JSON.readTree(r.body()).at("/error/code").asText());
      int retry = Integer.parseInt(r.headers().firstValue("retry-after").orElseThrow());
      assertTrue(retry >= 1, "Retry-After " + retry);
    }
    Gateway.awaitIdle(orchestrator, experts, fair);
    assertEquals(
        200,
        post("/v1/completions", Gateway.SINGLE_KEY, "{\"prompt\":\"Once\",\"max_tokens\":3}")
            .statusCode());
  }

  @Test
  void aClientDisconnectCancelsTheGenerationAndFreesItsKvBlocks() throws Exception {
    double cancelledBefore = cancelledCount();
    try (Socket s = openStream(DEFAULT_KEY, 500)) {
      // one event read: the generation is running; closing the socket is the disconnect
    }
    Gateway.awaitIdle(orchestrator, experts, fair);
    assertEquals(cancelledBefore + 1, cancelledCount());
  }

  @Inject io.micrometer.core.instrument.MeterRegistry meters;

  double cancelledCount() {
    var c =
        meters
            .find("mesh.gateway.requests")
            .tag("expert", "stories260k")
            .tag("outcome", "cancelled")
            .counter();
    return c == null ? 0 : c.count();
  }

  /**
   * Starts a streamed completion over a raw socket and returns once the first event has arrived.
   */
  Socket openStream(String key, int maxTokens) throws Exception {
    String body =
        "{\"prompt\":\"Once upon a time\",\"max_tokens\":"
            + maxTokens
            + ",\"temperature\":1,\"seed\":3,\"stream\":true}";
    Socket s = new Socket(base.getHost(), base.getPort());
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(
        ("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + key
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.UTF_8));
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    String status = in.readLine();
    assertEquals("HTTP/1.1 200 OK", status);
    String line;
    while ((line = in.readLine()) != null && !line.contains("data: ")) {
      // headers and the chunk size line
    }
    assertTrue(line != null && line.contains("\"text_completion\""), line);
    return s;
  }

  /** The JSON events of an SSE body; asserts the framing and the final [DONE]. */
  static List<JsonNode> events(String body) throws Exception {
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
    String[] frames = body.split("\n\n");
    List<JsonNode> events = new ArrayList<>();
    for (int i = 0; i < frames.length - 1; i++) {
      assertTrue(frames[i].startsWith("data: {"), frames[i]);
      assertEquals(-1, frames[i].indexOf('\n'), "one line per event");
      events.add(JSON.readTree(frames[i].substring("data: ".length())));
    }
    assertEquals("data: [DONE]", frames[frames.length - 1]);
    return events;
  }

  /** What the expert generates for a prompt when called directly, without the gateway. */
  String direct(String prompt, int maxTokens) throws Exception {
    StringBuilder text = new StringBuilder();
    CompletableFuture<Void> done = new CompletableFuture<>();
    ExpertId expert = new ExpertId("stories260k");
    experts
        .get(expert)
        .submit(
            new Placement.Colocated(new ReplicaId(expert, ReplicaRole.COLOCATED, "embedded-0")),
            new GenerationRequest(
                RequestId.random(),
                new TenantId("direct"),
                new ExpertId("stories260k"),
                prompt,
                SamplingParams.greedy(maxTokens),
                Instant.now().plusSeconds(30)),
            Replanner.none(),
            e -> {
              switch (e) {
                case TokenEvent.Token t -> text.append(t.text());
                case TokenEvent.Finished f -> done.complete(null);
                case TokenEvent.Failed f -> done.completeExceptionally(new AssertionError(f));
                case TokenEvent.ToolCallDelta d ->
                    done.completeExceptionally(new AssertionError(d));
              }
            });
    done.get(30, TimeUnit.SECONDS);
    return text.toString();
  }
}
