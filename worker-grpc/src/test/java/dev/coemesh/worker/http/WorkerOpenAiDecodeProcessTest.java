package dev.coemesh.worker.http;

import static dev.coemesh.worker.http.OpenAiHttp.events;
import static dev.coemesh.worker.http.OpenAiHttp.json;
import static dev.coemesh.worker.http.OpenAiHttp.post;
import static dev.coemesh.worker.http.OpenAiHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coemesh.testkit.RedisServer;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.process.WorkerProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A decode worker as an InferencePool endpoint: given {@value OpenAiService#PREFILL_HEADER} by the
 * endpoint picker, it has that prefill worker (a separate process) run the prompt, takes the KV
 * through a real redis-server and decodes; the answer equals the colocated one. Without the header,
 * or naming an address outside its prefill peers, it answers 400; a prefill worker serves no OpenAI
 * API.
 */
class WorkerOpenAiDecodeProcessTest {
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static final String PROMPT = "Once upon a time";
  private static RedisServer redis;
  private static WorkerProcess prefill;
  private static WorkerProcess decode;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.startNew();
    prefill = worker("prefill", "--level", "0");
    decode = worker("decode");
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {decode, prefill, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static WorkerProcess worker(String role, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--role",
                role,
                "--expert",
                "stories",
                "--redis",
                redis.uri(),
                "--calibration-tokens",
                "0",
                "--http-port",
                "0"));
    args.addAll(List.of(more));
    return WorkerProcess.start(
        role, List.of(), List.of("-Xmx256m"), args, Duration.ofSeconds(60), CREDENTIAL);
  }

  private static String body(boolean stream) {
    return "{\"model\":\"stories\",\"prompt\":\""
        + PROMPT
        + "\",\"max_tokens\":20,\"temperature\":0"
        + (stream ? ",\"stream\":true" : "")
        + "}";
  }

  private static Map<String, String> prefillHeader() {
    return Map.of(OpenAiService.PREFILL_HEADER, "127.0.0.1:" + prefill.port());
  }

  @Test
  void withAPrefillEndpointTheDecodeWorkerAnswersWhatColocatedAnswersThroughRedis()
      throws Exception {
    OpenAiHttp.Grpc colocated = OpenAiHttp.generate(decode.port(), CREDENTIAL, PROMPT, 20);
    long shippedBefore = prefill.client().load().getKvLevelsOrDefault("level_0", 0);

    HttpResponse<String> r =
        post(decode.httpPort(), "/v1/completions", body(false), prefillHeader());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode whole = json(r);
    assertEquals(colocated.text(), whole.path("choices").path(0).path("text").asText());
    assertEquals(
        colocated.finished().getUsage().getPromptTokens(),
        whole.path("usage").path("prompt_tokens").asInt());
    assertEquals(20, whole.path("usage").path("completion_tokens").asInt());

    HttpResponse<String> streamed =
        post(decode.httpPort(), "/v1/completions", body(true), prefillHeader());
    StringBuilder text = new StringBuilder();
    List<String> events = events(streamed.body());
    assertEquals("[DONE]", events.getLast());
    for (String e : events.subList(0, events.size() - 1)) {
      text.append(OpenAiHttp.JSON.readTree(e).path("choices").path(0).path("text").asText());
    }
    assertEquals(colocated.text(), text.toString());

    assertEquals(
        shippedBefore + 2,
        prefill.client().load().getKvLevelsOrDefault("level_0", 0),
        "the prefill worker shipped both KVs");
    assertTrue(
        decode.client().load().getFallbacksMap().values().stream().allMatch(n -> n == 0),
        "the decode worker used them: " + decode.client().load().getFallbacksMap());
    assertEquals(0, decode.client().load().getLiveSequences());
  }

  @Test
  void withoutAPrefillEndpointADecodeWorkerAnswers400NamingTheHeader() throws Exception {
    HttpResponse<String> r = post(decode.httpPort(), "/v1/completions", body(false));
    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = json(r).path("error");
    assertEquals(OpenAiService.PREFILL_HEADER, error.path("param").asText());
    assertTrue(error.path("message").asText().contains("prefill endpoint is required"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.1.2.3:9201", "prefill.example:9201", "127.0.0.1", "127.0.0.1:0"})
  void aPrefillEndpointOutsideThePeersOrMalformedIsRefused(String endpoint) throws Exception {
    HttpResponse<String> r =
        post(
            decode.httpPort(),
            "/v1/completions",
            body(false),
            Map.of(OpenAiService.PREFILL_HEADER, endpoint));
    assertEquals(400, r.statusCode(), r.body());
    assertEquals(OpenAiService.PREFILL_HEADER, json(r).path("error").path("param").asText());
  }

  @Test
  void aPrefillWorkerServesNoOpenAiApiButItsMetricsAndReadiness() throws Exception {
    HttpResponse<String> r = post(prefill.httpPort(), "/v1/completions", body(false));
    assertEquals(404, r.statusCode());
    assertEquals("unknown_url", json(r).path("error").path("code").asText());
    assertEquals(404, send(prefill.httpPort(), "GET", "/v1/models").statusCode());
    assertEquals(200, send(prefill.httpPort(), "GET", "/health/ready").statusCode());
    assertEquals(200, send(prefill.httpPort(), "GET", "/q/metrics").statusCode());
  }
}
