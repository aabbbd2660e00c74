package dev.coemesh.routerservice.epp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the endpoint picker reads of OpenAI bodies, and which bodies it refuses. */
class InferenceBodyTest {

  static InferenceBody parse(String path, String body) {
    return InferenceBody.parse(path, body.getBytes(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> readable() {
    return Stream.of(
        Arguments.of(
            "/v1/completions",
            "{\"model\":\"stories\",\"prompt\":\"Once upon\"}",
            "stories",
            "Once upon"),
        Arguments.of("/v1/completions?x=1", "{\"prompt\":[\"first\",\"second\"]}", null, "first"),
        Arguments.of(
            "/v1/chat/completions",
            "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"assistant\",\"content\":\"b\"}]}",
            "auto",
            "a"),
        Arguments.of(
            "/v1/chat/completions",
            "{\"model\":null,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"one\"},{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":\"two\"}]}]}",
            null,
            "one\ntwo"),
        Arguments.of(
            "/other",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"by messages\"}]}",
            null,
            "by messages"));
  }

  @ParameterizedTest
  @MethodSource("readable")
  void readsTheModelAndTheTextToRouteOn(String path, String body, String model, String text) {
    InferenceBody b = parse(path, body);
    assertEquals(model, b.model());
    assertEquals(text, b.routingText());
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("/v1/completions", "[1,2]", null, "the request body must be a JSON object"),
        Arguments.of("/v1/completions", "{\"prompt\":", null, "the request body is not valid JSON"),
        Arguments.of(
            "/v1/completions",
            "{\"model\":7,\"prompt\":\"x\"}",
            "model",
            "'model' must be a string"),
        Arguments.of(
            "/v1/completions",
            "{\"messages\":[]}",
            "prompt",
            "a completion needs a 'prompt' string"),
        Arguments.of(
            "/v1/chat/completions",
            "{\"messages\":[]}",
            "messages",
            "a chat completion needs a non-empty 'messages' array"),
        Arguments.of(
            "/v1/chat/completions",
            "{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
            "messages",
            "'messages' holds no user message"),
        Arguments.of(
            "/v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":3}]}",
            "messages",
            "the last user message has no text content"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void refusesWhatCannotBeRouted(String path, String body, String param, String message) {
    MeshException e = assertThrows(MeshException.class, () -> parse(path, body));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals(param, e.param());
    assertEquals(message, e.getMessage());
  }
}
