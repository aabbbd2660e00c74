package dev.coemesh.gateway.upstream;

import static dev.coemesh.gateway.testing.Gateway.DEFAULT_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chat reaches an upstream expert as chat: the gateway forwards {@code /v1/chat/completions} to an
 * OpenAI-compatible server process ({@link ChatPeer}, which checks what it receives) with the
 * messages, tools, tool choice and response format exactly as the client sent them, relays the
 * upstream's text, tool calls and usage, streamed and not, and refuses what only an upstream can
 * serve when the request is routed to the mesh's own engine.
 */
@QuarkusTest
@TestProfile(UpstreamChatTest.WithUpstream.class)
class UpstreamChatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The gateway with a routing config whose expert {@code assistant} is the chat peer. */
  public static final class WithUpstream implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(ChatPeerProcess.class));
    }
  }

  private static final String MESSAGES =
      """
      [{"role":"system","content":"You are terse."},
       {"role":"user","name":"ann","content":[{"type":"text","text":"What is in "},
          {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},
          {"type":"text","text":"this picture?"}]},
       {"role":"assistant","content":"A cat."},
       {"role":"user","content":"And the weather in Paris? \\u00e9t\\u00e9 \\u2603"}]""";

  private static final String TOOLS =
      """
      [{"type":"function","function":{"name":"get_weather","description":"Weather in a city",
        "parameters":{"type":"object","properties":{"city":{"type":"string"}},
        "required":["city"]}}}]""";

  @TestHTTPResource("/")
  URI base;

  @Test
  void theUpstreamReceivesTheMessagesUnchangedAndItsReplyAndUsageComeBack() throws Exception {
    HttpResponse<String> r =
        chat("{\"model\":\"assistant\",\"messages\":" + MESSAGES + ",\"max_tokens\":32}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("assistant", r.headers().firstValue("x-mesh-expert").orElseThrow());
    JsonNode received = lastReceived();
    assertEquals(JSON.readTree(MESSAGES), received.get("messages"));
    assertEquals(ChatPeerProcess.UPSTREAM_MODEL, received.get("model").asText());
    assertFalse(received.has("tools"), "no tools were sent");
    JsonNode body = JSON.readTree(r.body());
    assertEquals("chat.completion", body.get("object").asText());
    assertEquals(
        "You said: And the weather in Paris? \u00e9t\u00e9 \u2603",
        body.at("/choices/0/message/content").asText());
    assertEquals("stop", body.at("/choices/0/finish_reason").asText());
    // the upstream's own count (words + 3 per message), not the gateway's estimate
    assertEquals(
        ChatPeer.promptTokens(JSON.readTree(MESSAGES)), body.at("/usage/prompt_tokens").asInt());
  }

  @Test
  void toolsReachTheUpstreamAndItsToolCallComesBackWhole() throws Exception {
    HttpResponse<String> r =
        chat(
            "{\"model\":\"assistant\",\"messages\":"
                + MESSAGES
                + ",\"tools\":"
                + TOOLS
                + ",\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,\"max_tokens\":32}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode received = lastReceived();
    assertEquals(JSON.readTree(TOOLS), received.get("tools"));
    assertEquals("auto", received.get("tool_choice").asText());
    assertFalse(received.get("parallel_tool_calls").asBoolean());
    JsonNode message = JSON.readTree(r.body()).at("/choices/0/message");
    assertTrue(message.get("content").isNull(), message.toString());
    assertEquals(
        JSON.readTree(
            "[{\"id\":\"call_peer_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]"),
        message.get("tool_calls"));
    assertEquals("tool_calls", JSON.readTree(r.body()).at("/choices/0/finish_reason").asText());
  }

  @Test
  void aStreamedToolCallArrivesAsOpenAisToolCallDeltas() throws Exception {
    HttpResponse<String> r =
        chat(
            "{\"model\":\"assistant\",\"messages\":"
                + MESSAGES
                + ",\"tools\":"
                + TOOLS
                + ",\"max_tokens\":32,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> events = events(r.body());
    JsonNode first = events.getFirst().at("/choices/0/delta");
    assertEquals("assistant", first.get("role").asText());
    assertEquals("call_peer_1", first.at("/tool_calls/0/id").asText());
    assertEquals("function", first.at("/tool_calls/0/type").asText());
    assertEquals("get_weather", first.at("/tool_calls/0/function/name").asText());
    StringBuilder arguments = new StringBuilder();
    for (JsonNode e : events.subList(0, events.size() - 2)) {
      JsonNode call = e.at("/choices/0/delta/tool_calls/0");
      assertEquals(0, call.get("index").asInt());
      arguments.append(call.at("/function/arguments").asText());
    }
    assertEquals("{\"city\": \"Paris\"}", arguments.toString());
    assertEquals(
        "tool_calls", events.get(events.size() - 2).at("/choices/0/finish_reason").asText());
    assertEquals(3, events.getLast().at("/usage/completion_tokens").asInt());
  }

  @Test
  void theToolResultTurnIsForwardedAsSent() throws Exception {
    String turn =
        """
        [{"role":"user","content":"Weather in Paris?"},
         {"role":"assistant","content":null,"tool_calls":[{"id":"call_peer_1","type":"function",
            "function":{"name":"get_weather","arguments":"{\\"city\\": \\"Paris\\"}"}}]},
         {"role":"tool","tool_call_id":"call_peer_1","content":"18 C and sunny"}]""";
    HttpResponse<String> r =
        chat(
            "{\"model\":\"assistant\",\"messages\":"
                + turn
                + ",\"tools\":"
                + TOOLS
                + ",\"max_tokens\":32,\"stream\":true}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(JSON.readTree(turn), lastReceived().get("messages"));
    StringBuilder text = new StringBuilder();
    for (JsonNode e : events(r.body())) {
      text.append(e.at("/choices/0/delta/content").asText(""));
    }
    assertEquals("You said: 18 C and sunny", text.toString());
  }

  @Test
  void aJsonResponseFormatIsForwardedAndTheUpstreamsRefusalIsAClear400() throws Exception {
    HttpResponse<String> ok =
        chat(
            "{\"model\":\"assistant\",\"messages\":[{\"role\":\"user\",\"content\":\"JSON please\"}],"
                + "\"response_format\":{\"type\":\"json_object\"},\"max_tokens\":8}");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("json_object", lastReceived().at("/response_format/type").asText());
    HttpResponse<String> refused =
        chat(
            "{\"model\":\"assistant\",\"messages\":[{\"role\":\"user\",\"content\":\"JSON please\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
                + "\"schema\":{\"type\":\"object\"}}},\"max_tokens\":8}");
    assertEquals(400, refused.statusCode(), refused.body());
    JsonNode error = JSON.readTree(refused.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertTrue(error.get("message").asText().contains("json_schema"), error.toString());
  }

  @Test
  void aCompletionStillReachesTheUpstreamsCompletionsEndpoint() throws Exception {
    HttpResponse<String> r =
        Gateway.post(
            base,
            "/v1/completions",
            DEFAULT_KEY,
            "{\"model\":\"assistant\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(
        " completion of: Once upon a time", JSON.readTree(r.body()).at("/choices/0/text").asText());
    JsonNode received = lastReceived();
    assertEquals("Once upon a time", received.get("prompt").asText());
    assertFalse(received.has("messages"));
  }

  @Test
  void whatOnlyAnUpstreamServesIsRefusedOnTheMeshsOwnEngine() throws Exception {
    for (String[] c :
        List.of(
            new String[] {",\"tools\":" + TOOLS, "tools"},
            new String[] {",\"response_format\":{\"type\":\"json_object\"}", "response_format"})) {
      HttpResponse<String> r =
          chat(
              "{\"model\":\"stories260k\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"
                  + c[0]
                  + ",\"max_tokens\":8}");
      assertEquals(400, r.statusCode(), r.body());
      JsonNode error = JSON.readTree(r.body()).get("error");
      assertEquals("unsupported_parameter", error.get("code").asText(), error.toString());
      assertEquals(c[1], error.get("param").asText());
      assertTrue(error.get("message").asText().contains("'stories260k'"), error.toString());
    }
    HttpResponse<String> image =
        chat("{\"model\":\"stories260k\",\"messages\":" + MESSAGES + ",\"max_tokens\":8}");
    assertEquals(400, image.statusCode(), image.body());
    assertEquals("messages[1].content[1]", JSON.readTree(image.body()).at("/error/param").asText());
    // the same conversation without the image is served by the engine
    HttpResponse<String> plain =
        chat(
            "{\"model\":\"stories260k\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"tools\":[],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"},"
                + "\"max_tokens\":4}");
    assertEquals(200, plain.statusCode(), plain.body());
  }

  @Test
  void malformedToolsAreRefusedWhateverTheExpert() throws Exception {
    for (String[] c :
        List.of(
            new String[] {"\"tools\":{}", "tools"},
            new String[] {"\"tools\":[{\"type\":\"function\"}]", "tools[0].function"},
            new String[] {"\"tools\":[{\"type\":\"retrieval\"}]", "tools[0].type"},
            new String[] {"\"tool_choice\":\"required\"", "tool_choice"},
            new String[] {"\"tool_choice\":\"sometimes\"", "tool_choice"},
            new String[] {"\"response_format\":{\"type\":\"yaml\"}", "response_format.type"},
            new String[] {
              "\"response_format\":{\"type\":\"json_schema\"}", "response_format.json_schema"
            })) {
      HttpResponse<String> r =
          chat(
              "{\"model\":\"assistant\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                  + c[0]
                  + "}");
      assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
      assertEquals(c[1], JSON.readTree(r.body()).at("/error/param").asText(), r.body());
    }
    HttpResponse<String> noCallId =
        chat("{\"model\":\"assistant\",\"messages\":[{\"role\":\"tool\",\"content\":\"18 C\"}]}");
    assertEquals(400, noCallId.statusCode(), noCallId.body());
    assertEquals(
        "messages[0].tool_call_id", JSON.readTree(noCallId.body()).at("/error/param").asText());
  }

  private HttpResponse<String> chat(String body) throws Exception {
    return Gateway.post(base, "/v1/chat/completions", DEFAULT_KEY, body);
  }

  private static JsonNode lastReceived() throws Exception {
    return JSON.readTree(
        Gateway.get(URI.create(ChatPeerProcess.baseUrl() + "/"), "/peer/last", null).body());
  }

  private static List<JsonNode> events(String body) throws Exception {
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
    List<JsonNode> events = new ArrayList<>();
    for (String frame : body.split("\n\n")) {
      if (!frame.equals("data: [DONE]")) {
        events.add(JSON.readTree(frame.substring("data: ".length())));
      }
    }
    return events;
  }
}
