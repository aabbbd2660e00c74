package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.CONTINUATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, unmodified, pointed at the gateway. */
@QuarkusTest
class OpenAiJavaSdkTest {
  @TestHTTPResource("/")
  URI base;

  OpenAIClient client;

  @BeforeEach
  void connect() {
    client = client(Gateway.DEFAULT_KEY);
  }

  @AfterEach
  void close() {
    client.close();
  }

  OpenAIClient client(String key) {
    return OpenAIOkHttpClient.builder()
        .apiKey(key)
        .baseUrl(base.resolve("/v1").toString())
        .maxRetries(0)
        .build();
  }

  @Test
  void chatCompletion() {
    ChatCompletion c =
        client
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model("auto")
                    .addUserMessage("Tell me a story.")
                    .maxCompletionTokens(12)
                    .temperature(0.0)
                    .build());
    assertEquals("stories260k", c.model());
    assertEquals(1, c.choices().size());
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
    assertTrue(c.choices().get(0).message().content().orElseThrow().length() > 0);
    assertEquals(12, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void streamingChatCompletionWithUsage() {
    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                ChatCompletionCreateParams.builder()
                    .model("stories260k")
                    .addUserMessage("Tell me a story.")
                    .maxCompletionTokens(12)
                    .temperature(0.0)
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream().forEach(chunks::add);
    }
    for (ChatCompletionChunk c : chunks) {
      if (!c.choices().isEmpty()) {
        c.choices().get(0).delta().content().ifPresent(text::append);
      }
    }
    ChatCompletion whole =
        client
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model("stories260k")
                    .addUserMessage("Tell me a story.")
                    .maxCompletionTokens(12)
                    .temperature(0.0)
                    .build());
    assertEquals(whole.choices().get(0).message().content().orElseThrow(), text.toString());
    assertEquals(12, chunks.getLast().usage().orElseThrow().completionTokens());
  }

  @Test
  void completion() {
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model("stories260k")
                    .prompt("Once upon a time")
                    .maxTokens(26)
                    .temperature(0.0)
                    .build());
    assertEquals(CONTINUATION, c.choices().get(0).text());
    assertEquals(31, c.usage().orElseThrow().totalTokens());
  }

  @Test
  void modelList() {
    List<String> ids = new ArrayList<>();
    for (Model m : client.models().list().autoPager()) {
      ids.add(m.id());
    }
    assertEquals(List.of("stories260k", "stories260k-gguf", "auto"), ids);
  }

  @Test
  void errorsMapToTheSdksExceptions() {
    OpenAIClient wrong = client("wrong-key");
    try {
      assertThrows(UnauthorizedException.class, () -> wrong.models().list());
    } finally {
      wrong.close();
    }
    NotFoundException notFound =
        assertThrows(
            NotFoundException.class,
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("gpt-4o")
                            .addUserMessage("hi")
                            .build()));
    assertEquals("model_not_found", notFound.code().orElseThrow());
    BadRequestException unsupported =
        assertThrows(
            BadRequestException.class,
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("auto")
                            .addUserMessage("hi")
                            .n(3)
                            .build()));
    assertEquals("n", unsupported.param().orElseThrow());
  }
}
