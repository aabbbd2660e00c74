package dev.coemesh.worker.http;

import static dev.coemesh.worker.http.OpenAiHttp.json;
import static dev.coemesh.worker.http.OpenAiHttp.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.synthetic.ChatMetadata;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.process.WorkerProcess;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker whose GGUF model carries a chat template (ChatML, refusing a conversation that does not
 * end on a user) renders a chat request with it before tokenizing, control tokens and all: the
 * answer is {@code Generate}'s for the rendered text, the prompt-token count that text's, and the
 * template's refusal a 400 with its message.
 */
class WorkerChatTemplateProcessTest {
  private static final String CHATML =
      "{% if messages[-1]['role'] != 'user' %}{{ raise_exception('the last message must be the"
          + " user\\'s') }}{% endif %}{% for message in messages %}{{ '<|im_start|>' +"
          + " message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
          + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static Path dir;
  private static Model model;
  private static WorkerProcess worker;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("coemesh-worker-chatml");
    Path file = dir.resolve("chatml.gguf");
    new SyntheticModel(new ModelConfig(64, 96, 2, 4, 2, 400, 256, 10000f, 16, 1e-5f), 7)
        .writeGguf(
            file, TensorType.F32, new ChatMetadata(CHATML, List.of("<|im_start|>", "<|im_end|>")));
    model = ModelLoader.load(file, null);
    worker =
        WorkerProcess.start(
            "chatml",
            List.of(),
            List.of("-Xmx256m"),
            List.of(
                "--role",
                "colocated",
                "--expert",
                "chatml",
                "--model",
                file.toString(),
                "--redis",
                "memory",
                "--calibration-tokens",
                "0",
                "--http-port",
                "0"),
            Duration.ofSeconds(60),
            CREDENTIAL);
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Test
  void aChatIsRenderedWithTheModelsTemplate() throws Exception {
    String rendered =
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\n";
    OpenAiHttp.Grpc expected = OpenAiHttp.generate(worker.port(), CREDENTIAL, rendered, 6);
    HttpResponse<String> r =
        post(
            worker.httpPort(),
            "/v1/chat/completions",
            "{\"model\":\"chatml\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":6,\"temperature\":0}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertEquals(
        model.tokenizer().encode(rendered, true).length,
        body.path("usage").path("prompt_tokens").asInt());
    assertEquals(
        expected.finished().getUsage().getPromptTokens(),
        body.path("usage").path("prompt_tokens").asInt());
    assertEquals(
        expected.text(), body.path("choices").path(0).path("message").path("content").asText());
  }

  @Test
  void theTemplatesRefusalIsA400WithItsMessage() throws Exception {
    HttpResponse<String> r =
        post(
            worker.httpPort(),
            "/v1/chat/completions",
            "{\"model\":\"chatml\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello\"}]}");
    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = json(r).path("error");
    assertEquals("invalid_request_error", error.path("type").asText());
    assertTrue(
        error.path("message").asText().contains("the last message must be the user's"), r.body());
  }
}
