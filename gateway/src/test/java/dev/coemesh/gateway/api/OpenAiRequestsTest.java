package dev.coemesh.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiRequestsTest {
  private static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void whatOnlyAnUpstreamServesIsKeptVerbatimAndNamed() {
    String messages =
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"see \"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/cat.png\"}}]},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
            + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"42\"}]";
    String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    PromptInput.Chat chat =
        (PromptInput.Chat)
            OpenAiRequests.chat(
                    b(
                        "{\"messages\":"
                            + messages
                            + ",\"tools\":"
                            + tools
                            + ",\"tool_choice\":\"required\",\"response_format\":"
                            + "{\"type\":\"json_object\"}}"))
                .request()
                .input();
    assertEquals(
        List.of(
            "messages[0].content[1]",
            "messages[1].tool_calls",
            "messages[2]",
            "tools",
            "response_format"),
        chat.upstreamOnly());
    assertEquals(
        "{\"messages\":"
            + messages
            + ",\"tools\":"
            + tools
            + ",\"tool_choice\":\"required\",\"response_format\":{\"type\":\"json_object\"}}",
        chat.body().json());
    assertEquals("see ", chat.messages().get(0).content());
    assertEquals(Role.TOOL, chat.messages().get(2).role());
  }

  @Test
  void chatWithEverySupportedParameterParsesToTheClientRequest() {
    ApiRequest r =
        OpenAiRequests.chat(
            b(
                "{\"model\":\"stories260k\",\"messages\":[{\"role\":\"system\",\"content\":\"be"
                    + " kind\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                    + "{\"type\":\"text\",\"text\":\"b\"}]}],\"max_completion_tokens\":7,"
                    + "\"temperature\":0.5,\"top_p\":0.9,\"seed\":42,\"stop\":[\"x\",\"y\"],"
                    + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"n\":1,"
                    + "\"presence_penalty\":0,\"frequency_penalty\":0.0,\"logprobs\":false}"));
    ClientRequest c = r.request();
    assertEquals("stories260k", c.model());
    PromptInput.Chat chat = (PromptInput.Chat) c.input();
    assertEquals(
        List.of(new ChatMessage(Role.SYSTEM, "be kind"), new ChatMessage(Role.USER, "ab")),
        chat.messages());
    assertEquals(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"be kind\"},{\"role\":\"user\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}",
        chat.body().json());
    assertEquals(List.of(), chat.upstreamOnly());
    assertEquals(7, c.maxTokens());
    assertEquals(0.5, c.temperature());
    assertEquals(0.9, c.topP());
    assertEquals(42L, c.seed());
    assertEquals(List.of("x", "y"), c.stop());
    assertTrue(r.stream());
    assertTrue(r.includeUsage());
  }

  @Test
  void defaultsAreOpenAisAndAutoMeansRouted() {
    ApiRequest r = OpenAiRequests.chat(b("{\"model\":\"auto\"," + MSG + "}"));
    assertNull(r.request().model());
    assertEquals(0, r.request().maxTokens());
    assertEquals(1.0, r.request().temperature());
    assertEquals(1.0, r.request().topP());
    assertNull(r.request().seed());
    assertEquals(List.of(), r.request().stop());
    assertFalse(r.stream());
  }

  @Test
  void explicitNullIsAbsent() {
    ApiRequest r =
        OpenAiRequests.chat(b("{\"model\":null,\"stop\":null,\"max_tokens\":null," + MSG + "}"));
    assertNull(r.request().model());
    assertEquals(0, r.request().maxTokens());
  }

  @Test
  void completionTakesAStringOrOneStringInAnArray() {
    assertEquals(
        new PromptInput.Text("Once"),
        OpenAiRequests.completion(b("{\"prompt\":\"Once\",\"max_tokens\":3}")).request().input());
    assertEquals(
        new PromptInput.Text("Once"),
        OpenAiRequests.completion(b("{\"prompt\":[\"Once\"]}")).request().input());
    assertEquals(
        "x",
        OpenAiRequests.completion(b("{\"prompt\":\"a\",\"stop\":\"x\"}")).request().stop().get(0));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "empty body||INVALID_REQUEST|",
        "not JSON|{\"messages\":|INVALID_REQUEST|",
        "trailing garbage|{\"messages\":[]} x|INVALID_REQUEST|",
        "array body|[1,2]|INVALID_REQUEST|",
        "duplicate key|{\"model\":\"a\",\"model\":\"b\"," + MSG + "}|INVALID_REQUEST|",
        "missing messages|{\"model\":\"auto\"}|INVALID_REQUEST|messages",
        "empty messages|{\"messages\":[]}|INVALID_REQUEST|messages",
        "messages not array|{\"messages\":\"hi\"}|INVALID_REQUEST|messages",
        "message not object|{\"messages\":[1]}|INVALID_REQUEST|messages[0]",
        "missing role|{\"messages\":[{\"content\":\"hi\"}]}|INVALID_REQUEST|messages[0].role",
        "bad role|{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}|INVALID_REQUEST|messages[0].role",
        "tool role without call id|{\"messages\":[{\"role\":\"tool\",\"content\":\"hi\"}]}|INVALID_REQUEST|messages[0].tool_call_id",
        "function role|{\"messages\":[{\"role\":\"function\",\"content\":\"hi\"}]}|INVALID_REQUEST|messages[0].role",
        "missing content|{\"messages\":[{\"role\":\"user\"}]}|INVALID_REQUEST|messages[0].content",
        "content number|{\"messages\":[{\"role\":\"user\",\"content\":5}]}|INVALID_REQUEST|messages[0].content",
        "video part|{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{}}]}]}|UNSUPPORTED_PARAMETER|messages[0].content[0].type",
        "image part not object|{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":\"x\"}]}]}|INVALID_REQUEST|messages[0].content[0].image_url",
        "bad tool call|{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":1}]}]}|INVALID_REQUEST|messages[0].tool_calls[0]",
        "message extra field|{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"weight\":1}]}|UNSUPPORTED_PARAMETER|messages[0].weight",
        "message blank name|{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"name\":\" \"}]}|INVALID_REQUEST|messages[0].name",
        "model number|{\"model\":5," + MSG + "}|INVALID_REQUEST|model",
        "max_tokens string|{\"max_tokens\":\"5\"," + MSG + "}|INVALID_REQUEST|max_tokens",
        "max_tokens fraction|{\"max_tokens\":1.5," + MSG + "}|INVALID_REQUEST|max_tokens",
        "max_tokens zero|{\"max_tokens\":0," + MSG + "}|INVALID_REQUEST|max_tokens",
        "max_tokens huge|{\"max_tokens\":99999999999," + MSG + "}|INVALID_REQUEST|max_tokens",
        "max tokens disagree|{\"max_tokens\":5,\"max_completion_tokens\":6,"
            + MSG
            + "}|INVALID_REQUEST|max_completion_tokens",
        "temperature high|{\"temperature\":2.5," + MSG + "}|INVALID_REQUEST|temperature",
        "temperature negative|{\"temperature\":-0.1," + MSG + "}|INVALID_REQUEST|temperature",
        "temperature bool|{\"temperature\":true," + MSG + "}|INVALID_REQUEST|temperature",
        "top_p zero|{\"top_p\":0," + MSG + "}|INVALID_REQUEST|top_p",
        "top_p above one|{\"top_p\":1.01," + MSG + "}|INVALID_REQUEST|top_p",
        "seed fraction|{\"seed\":0.5," + MSG + "}|INVALID_REQUEST|seed",
        "stop five|{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]," + MSG + "}|INVALID_REQUEST|stop",
        "stop empty string|{\"stop\":\"\"," + MSG + "}|INVALID_REQUEST|stop",
        "stop number|{\"stop\":[1]," + MSG + "}|INVALID_REQUEST|stop",
        "stream string|{\"stream\":\"yes\"," + MSG + "}|INVALID_REQUEST|stream",
        "stream_options without stream|{\"stream_options\":{\"include_usage\":true},"
            + MSG
            + "}|INVALID_REQUEST|stream_options",
        "stream_options unknown key|{\"stream\":true,\"stream_options\":{\"x\":1},"
            + MSG
            + "}|UNSUPPORTED_PARAMETER|stream_options.x",
        "n two|{\"n\":2," + MSG + "}|UNSUPPORTED_PARAMETER|n",
        "presence penalty|{\"presence_penalty\":0.5,"
            + MSG
            + "}|UNSUPPORTED_PARAMETER|presence_penalty",
        "logprobs true|{\"logprobs\":true," + MSG + "}|UNSUPPORTED_PARAMETER|logprobs",
        "tool without function|{\"tools\":[{\"type\":\"function\"}],"
            + MSG
            + "}|INVALID_REQUEST|tools[0].function",
        "tools not array|{\"tools\":{}," + MSG + "}|INVALID_REQUEST|tools",
        "required without tools|{\"tool_choice\":\"required\","
            + MSG
            + "}|INVALID_REQUEST|tool_choice",
        "functions|{\"functions\":[{\"name\":\"f\"}]," + MSG + "}|UNSUPPORTED_PARAMETER|functions",
        "response_format yaml|{\"response_format\":{\"type\":\"yaml\"},"
            + MSG
            + "}|INVALID_REQUEST|response_format.type",
        "unknown parameter|{\"frobnicate\":1," + MSG + "}|UNSUPPORTED_PARAMETER|frobnicate",
        "top_k is not OpenAI|{\"top_k\":5," + MSG + "}|UNSUPPORTED_PARAMETER|top_k",
      })
  void badChatBodiesAreRefusedNamingTheParameter(
      String name, String body, ErrorCode code, String param) {
    MeshException e =
        assertThrows(MeshException.class, () -> OpenAiRequests.chat(b(body == null ? "" : body)));
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(param, e.param(), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing prompt|{\"max_tokens\":3}|INVALID_REQUEST|prompt",
        "prompt number|{\"prompt\":3}|INVALID_REQUEST|prompt",
        "prompt batch|{\"prompt\":[\"a\",\"b\"]}|UNSUPPORTED_PARAMETER|prompt",
        "prompt token ids|{\"prompt\":[1,2,3]}|UNSUPPORTED_PARAMETER|prompt",
        "echo|{\"prompt\":\"a\",\"echo\":true}|UNSUPPORTED_PARAMETER|echo",
        "best_of|{\"prompt\":\"a\",\"best_of\":3}|UNSUPPORTED_PARAMETER|best_of",
        "suffix|{\"prompt\":\"a\",\"suffix\":\"z\"}|UNSUPPORTED_PARAMETER|suffix",
        "logprobs|{\"prompt\":\"a\",\"logprobs\":2}|UNSUPPORTED_PARAMETER|logprobs",
        "messages on completions|{\"prompt\":\"a\",\"messages\":[]}|UNSUPPORTED_PARAMETER|messages",
        "max_completion_tokens on completions|{\"prompt\":\"a\",\"max_completion_tokens\":3}|UNSUPPORTED_PARAMETER|max_completion_tokens",
      })
  void badCompletionBodiesAreRefusedNamingTheParameter(
      String name, String body, ErrorCode code, String param) {
    MeshException e = assertThrows(MeshException.class, () -> OpenAiRequests.completion(b(body)));
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(param, e.param(), e.getMessage());
  }

  @Test
  void deeplyNestedJsonIsRefusedNotRecursedInto() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    MeshException e =
        assertThrows(
            MeshException.class, () -> OpenAiRequests.chat(b("{\"messages\":" + deep + "}")));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
  }

  @Test
  void tooManyMessagesAreRefused() {
    String one = "{\"role\":\"user\",\"content\":\"a\"},";
    String body =
        "{\"messages\":["
            + one.repeat(OpenAiRequests.MAX_MESSAGES)
            + "{\"role\":\"user\",\"content\":\"a\"}]}";
    MeshException e = assertThrows(MeshException.class, () -> OpenAiRequests.chat(b(body)));
    assertEquals("messages", e.param());
  }

  @Test
  void whatSdksSendAndCanBeHonouredOrIgnoredIsAccepted() {
    ApiRequest r =
        OpenAiRequests.chat(
            b(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"ann\"}],"
                    + "\"user\":\"u1\",\"tools\":null,\"tool_choice\":\"auto\","
                    + "\"response_format\":{\"type\":\"text\"},\"store\":false,"
                    + "\"metadata\":{\"k\":\"v\"},\"service_tier\":\"auto\","
                    + "\"parallel_tool_calls\":true,\"logit_bias\":{},\"top_logprobs\":0,"
                    + "\"prompt_cache_key\":\"p\",\"functions\":null}"));
    assertEquals("u1", r.request().endUser());
    assertEquals(
        new PromptInput.Chat(List.of(new ChatMessage(Role.USER, "hi", "ann"))),
        r.request().input());
    assertEquals(
        "u1",
        OpenAiRequests.completion(b("{\"prompt\":\"a\",\"user\":\"u1\",\"suffix\":null}"))
            .request()
            .endUser());
  }

  @Test
  void aRefusedValueIsNamedWithWhatIsAllowed() {
    MeshException batch =
        assertThrows(
            MeshException.class, () -> OpenAiRequests.completion(b("{\"prompt\":[\"a\",\"b\"]}")));
    assertEquals(ErrorCode.UNSUPPORTED_PARAMETER, batch.code());
    assertTrue(batch.getMessage().contains("a batch of 2 prompts"), batch.getMessage());
    MeshException ids =
        assertThrows(
            MeshException.class, () -> OpenAiRequests.completion(b("{\"prompt\":[1,2,3]}")));
    assertTrue(ids.getMessage().contains("token ids"), ids.getMessage());
    MeshException n =
        assertThrows(MeshException.class, () -> OpenAiRequests.chat(b("{" + MSG + ",\"n\":2}")));
    assertEquals("n", n.param());
    assertTrue(n.getMessage().contains("2") && n.getMessage().contains("only 1"), n.getMessage());
    MeshException tools =
        assertThrows(
            MeshException.class,
            () -> OpenAiRequests.chat(b("{" + MSG + ",\"tool_choice\":{\"type\":\"function\"}}")));
    assertEquals("tool_choice", tools.param());
    MeshException longUser =
        assertThrows(
            MeshException.class,
            () -> OpenAiRequests.chat(b("{" + MSG + ",\"user\":\"" + "u".repeat(300) + "\"}")));
    assertEquals("user", longUser.param());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}{}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"",
        "{\"messages\": [1,}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "{\"a\":\"\\uZZZZ\"}",
        "{\"a\":tru}",
      })
  void unreadableJsonIsDescribedWithoutTheJsonLibrarysInternals(String body) {
    MeshException e = assertThrows(MeshException.class, () -> OpenAiRequests.chat(b(body)));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    String m = e.getMessage();
    assertTrue(m.startsWith("the request body is not valid JSON: "), m);
    for (String internal : List.of("`", "com.fasterxml", "Feature", "Source", "jackson")) {
      assertFalse(m.contains(internal), m);
    }
  }
}
