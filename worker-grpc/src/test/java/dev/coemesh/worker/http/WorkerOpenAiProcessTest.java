package dev.coemesh.worker.http;

import static dev.coemesh.worker.http.OpenAiHttp.events;
import static dev.coemesh.worker.http.OpenAiHttp.json;
import static dev.coemesh.worker.http.OpenAiHttp.post;
import static dev.coemesh.worker.http.OpenAiHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.ChatTurn;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.process.WorkerProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A colocated {@code WorkerServer} process (the stories260K model from the shared models) serving
 * the OpenAI API on its HTTP port, as an InferencePool endpoint: completions and chat, whole and
 * streamed, answer what the gRPC {@code Generate} path answers for the same greedy request, with
 * consistent usage; bad requests get OpenAI's errors with the right status.
 */
class WorkerOpenAiProcessTest {
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static final String PROMPT = "Once upon a time";
  private static final int MAX_TOKENS = 24;
  private static WorkerProcess worker;

  @BeforeAll
  static void start() {
    worker =
        WorkerProcess.start(
            "openai",
            List.of(),
            List.of("-Xmx256m"),
            List.of(
                "--role",
                "colocated",
                "--expert",
                "stories",
                "--redis",
                "memory",
                "--calibration-tokens",
                "0",
                "--http-port",
                "0",
                "--max-body-bytes",
                "4096"),
            Duration.ofSeconds(60),
            CREDENTIAL);
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private static String completion(String extra) {
    return "{\"model\":\"stories\",\"prompt\":\""
        + PROMPT
        + "\",\"max_tokens\":"
        + MAX_TOKENS
        + ",\"temperature\":0"
        + extra
        + "}";
  }

  @Test
  void aCompletionIsWhatGenerateAnswersWithItsUsage() throws Exception {
    OpenAiHttp.Grpc expected = OpenAiHttp.generate(worker.port(), CREDENTIAL, PROMPT, MAX_TOKENS);
    HttpResponse<String> r = post(worker.httpPort(), "/v1/completions", completion(""));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertEquals("text_completion", body.path("object").asText());
    assertTrue(body.path("id").asText().startsWith("cmpl-"));
    assertEquals("stories", body.path("model").asText());
    assertEquals(expected.text(), body.path("choices").path(0).path("text").asText());
    assertEquals("length", body.path("choices").path(0).path("finish_reason").asText());
    JsonNode usage = body.path("usage");
    assertEquals(
        expected.finished().getUsage().getPromptTokens(), usage.path("prompt_tokens").asInt());
    assertEquals(MAX_TOKENS, usage.path("completion_tokens").asInt());
    assertEquals(
        usage.path("prompt_tokens").asInt() + MAX_TOKENS, usage.path("total_tokens").asInt());
  }

  @Test
  void aStreamedCompletionHasTheSameTextChunkByChunkThenUsageAndDone() throws Exception {
    String whole =
        json(post(worker.httpPort(), "/v1/completions", completion("")))
            .path("choices")
            .path(0)
            .path("text")
            .asText();
    HttpResponse<String> r =
        post(
            worker.httpPort(),
            "/v1/completions",
            completion(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    List<String> events = events(r.body());
    assertEquals("[DONE]", events.getLast());
    StringBuilder text = new StringBuilder();
    String finish = null;
    JsonNode usage = null;
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode chunk = OpenAiHttp.JSON.readTree(e);
      assertEquals("text_completion", chunk.path("object").asText());
      if (chunk.path("choices").isEmpty()) {
        usage = chunk.path("usage");
        continue;
      }
      text.append(chunk.path("choices").path(0).path("text").asText());
      if (!chunk.path("choices").path(0).path("finish_reason").isNull()) {
        finish = chunk.path("choices").path(0).path("finish_reason").asText();
      }
    }
    assertEquals(whole, text.toString());
    assertEquals("length", finish);
    assertEquals(MAX_TOKENS, usage.path("completion_tokens").asInt());
    assertTrue(usage.path("prompt_tokens").asInt() > 0);
  }

  @Test
  void aChatIsTheConversationRenderedWithTheModelsFormatStreamedOrNot() throws Exception {
    String rendered =
        ChatFormat.PLAIN.render(List.of(new ChatTurn("user", "Tell me a story", null)), true);
    OpenAiHttp.Grpc expected = OpenAiHttp.generate(worker.port(), CREDENTIAL, rendered, 16);
    String chat =
        "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a"
            + " story\"}],\"max_completion_tokens\":16,\"temperature\":0";
    HttpResponse<String> r = post(worker.httpPort(), "/v1/chat/completions", chat + "}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertEquals("chat.completion", body.path("object").asText());
    assertTrue(body.path("id").asText().startsWith("chatcmpl-"));
    JsonNode message = body.path("choices").path(0).path("message");
    assertEquals("assistant", message.path("role").asText());
    assertEquals(expected.text(), message.path("content").asText());
    assertEquals(
        expected.finished().getUsage().getPromptTokens(),
        body.path("usage").path("prompt_tokens").asInt());
    assertEquals(16, body.path("usage").path("completion_tokens").asInt());

    HttpResponse<String> streamed =
        post(worker.httpPort(), "/v1/chat/completions", chat + ",\"stream\":true}");
    List<String> events = events(streamed.body());
    assertEquals("[DONE]", events.getLast());
    StringBuilder text = new StringBuilder();
    JsonNode first = OpenAiHttp.JSON.readTree(events.getFirst());
    assertEquals("assistant", first.path("choices").path(0).path("delta").path("role").asText());
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode chunk = OpenAiHttp.JSON.readTree(e);
      assertEquals("chat.completion.chunk", chunk.path("object").asText());
      assertFalse(chunk.has("usage"), "no usage chunk without include_usage");
      text.append(chunk.path("choices").path(0).path("delta").path("content").asText(""));
    }
    assertEquals(expected.text(), text.toString());
  }

  @Test
  void aStopSequenceEndsTheTextBeforeIt() throws Exception {
    String whole =
        json(post(worker.httpPort(), "/v1/completions", completion("")))
            .path("choices")
            .path(0)
            .path("text")
            .asText();
    String stop = whole.strip().split("\\s+")[1]; // the second word of the greedy continuation
    JsonNode body =
        json(
            post(
                worker.httpPort(),
                "/v1/completions",
                completion(",\"stop\":[\"" + stop + "\"],\"seed\":7,\"top_p\":0.9")));
    String text = body.path("choices").path(0).path("text").asText();
    assertEquals("stop", body.path("choices").path(0).path("finish_reason").asText());
    assertEquals(whole.substring(0, whole.indexOf(stop)), text);
    assertTrue(body.path("usage").path("completion_tokens").asInt() < MAX_TOKENS);
  }

  @Test
  void modelsListsTheWorkersExpert() throws Exception {
    HttpResponse<String> r = send(worker.httpPort(), "GET", "/v1/models");
    assertEquals(200, r.statusCode());
    JsonNode body = json(r);
    assertEquals("list", body.path("object").asText());
    assertEquals(1, body.path("data").size());
    assertEquals("stories", body.path("data").path(0).path("id").asText());
    assertEquals(200, send(worker.httpPort(), "GET", "/health/ready").statusCode());
    assertTrue(send(worker.httpPort(), "GET", "/q/metrics").body().contains("mesh_worker"));
    assertTrue(
        send(worker.httpPort(), "GET", "/metrics")
            .body()
            .contains("mesh_worker_num_requests_waiting"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "malformed JSON|{\"model\":\"stories\",\"prompt\":|400|invalid_request_error|",
        "unknown model|{\"model\":\"gpt-4\",\"prompt\":\"a\"}|404|invalid_request_error|model",
        "max_tokens 0|{\"model\":\"stories\",\"prompt\":\"a\",\"max_tokens\":0}|400|invalid_request_error|max_tokens",
        "temperature 3|{\"model\":\"stories\",\"prompt\":\"a\",\"temperature\":3}|400|invalid_request_error|temperature",
        "unknown field|{\"model\":\"stories\",\"prompt\":\"a\",\"bogus\":1}|400|invalid_request_error|bogus",
        "no prompt|{\"model\":\"stories\"}|400|invalid_request_error|prompt",
      })
  void badRequestsGetOpenAisErrorNamingTheField(
      String what, String body, int status, String type, String param) throws Exception {
    HttpResponse<String> r = post(worker.httpPort(), "/v1/completions", body);
    assertEquals(status, r.statusCode(), what + ": " + r.body());
    JsonNode error = json(r).path("error");
    assertEquals(type, error.path("type").asText(), r.body());
    assertFalse(error.path("message").asText().isEmpty());
    assertTrue(error.has("code"));
    if (param != null) {
      assertEquals(param, error.path("param").asText(), r.body());
    }
  }

  /** What the endpoint picker forwards unchanged after routing "auto" (or no model) here. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"model\":\"auto\",\"prompt\":\"Once\",\"max_tokens\":3}",
        "{\"prompt\":\"Once\",\"max_tokens\":3}"
      })
  void aRoutedModelNameOrNoneIsServedAsTheExpert(String body) throws Exception {
    HttpResponse<String> r = post(worker.httpPort(), "/v1/completions", body);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("stories", json(r).path("model").asText());
    assertEquals(3, json(r).path("usage").path("completion_tokens").asInt());
  }

  @Test
  void theModelIsCheckedWithItsOwnCode() throws Exception {
    JsonNode error =
        json(post(worker.httpPort(), "/v1/completions", "{\"model\":\"gpt-4\",\"prompt\":\"a\"}"))
            .path("error");
    assertEquals("model_not_found", error.path("code").asText());
  }

  @Test
  void aBodyOverTheLimitIs413AndAWrongMethod405AndAnUnknownPath404() throws Exception {
    String big = "{\"model\":\"stories\",\"prompt\":\"" + "a".repeat(5000) + "\"}";
    HttpResponse<String> tooLarge = post(worker.httpPort(), "/v1/completions", big);
    assertEquals(413, tooLarge.statusCode());
    assertEquals("invalid_request_error", json(tooLarge).path("error").path("type").asText());

    HttpResponse<String> get = send(worker.httpPort(), "GET", "/v1/completions");
    assertEquals(405, get.statusCode());
    assertEquals("POST", get.headers().firstValue("allow").orElse(""));
    assertEquals("method_not_allowed", json(get).path("error").path("code").asText());

    HttpResponse<String> unknown = send(worker.httpPort(), "GET", "/v1/embeddings");
    assertEquals(404, unknown.statusCode());
    assertEquals("unknown_url", json(unknown).path("error").path("code").asText());

    HttpResponse<String> delete = send(worker.httpPort(), "DELETE", "/v1/models");
    assertEquals(405, delete.statusCode());
  }

  @Test
  void aPromptBeyondTheContextIsContextLengthExceeded() throws Exception {
    HttpResponse<String> r =
        post(
            worker.httpPort(),
            "/v1/completions",
            "{\"model\":\"stories\",\"prompt\":\"" + "Once ".repeat(600) + "\"}");
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("context_length_exceeded", json(r).path("error").path("code").asText());
  }

  @Test
  void whatOnlyAnUpstreamServesIsRefused() throws Exception {
    HttpResponse<String> r =
        post(
            worker.httpPort(),
            "/v1/chat/completions",
            "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}");
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("tools", json(r).path("error").path("param").asText());
    assertEquals("unsupported_parameter", json(r).path("error").path("code").asText());
  }
}
