package dev.coemesh.gateway.upstream;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link ChatPeer} as its own process and points a routing config at it: the expert {@code
 * assistant} is that upstream (category {@code chat}); {@code stories260k} runs on the mesh's own
 * engine (category {@code story}), so a test can send the same request to both.
 */
public final class ChatPeerProcess implements QuarkusTestResourceLifecycleManager {
  /** The upstream's own model name, which the gateway must send as {@code model}. */
  static final String UPSTREAM_MODEL = "peer-chat-model";

  private static Process process;
  private static String baseUrl;
  private static Path config;

  @Override
  public Map<String, String> start() {
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-Xmx128m",
                      "-XX:+UseSerialGC",
                      "-cp",
                      System.getProperty("java.class.path"),
                      ChatPeer.class.getName(),
                      UPSTREAM_MODEL))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line =
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return out.readLine();
                    } catch (IOException e) {
                      return null;
                    }
                  })
              .get(30, TimeUnit.SECONDS);
      if (line == null || !line.startsWith("LISTENING ")) {
        throw new IllegalStateException("the chat peer did not start: " + line);
      }
      baseUrl = "http://127.0.0.1:" + line.substring("LISTENING ".length()).strip();
      config = Files.createTempFile("coemesh-upstream-routing", ".yaml");
      Files.writeString(config, routing(baseUrl));
    } catch (Exception e) {
      stop();
      throw new IllegalStateException("the chat peer did not start: " + e.getMessage(), e);
    }
    return Map.of("mesh.routing.config", config.toString());
  }

  static String baseUrl() {
    return baseUrl;
  }

  private static String routing(String url) {
    return String.join(
        "\n",
        "version: 1",
        "confidence_threshold: 0.5",
        "classifier: {type: auto, k: 3, folds: 3}",
        "overrides: {explicit_model: true, category_hint: true, auto_model: auto}",
        "experts:",
        "  - name: stories260k",
        "    source: {type: embedded, model: stories260K.bin, tokenizer: tok512.bin}",
        "  - name: assistant",
        "    source: {type: upstream, url: \"" + url + "/v1\", model: " + UPSTREAM_MODEL + "}",
        "    context_length: 8192",
        "routes: {story: stories260k, chat: assistant}",
        "fallback_expert: stories260k",
        "categories:",
        "  - name: story",
        "    description: children's stories",
        "    examples: [\"Once upon a time\", \"Tell me a story.\", \"A bedtime story about a bear.\"]",
        "  - name: chat",
        "    description: questions for an assistant",
        "    examples: [\"What is the weather in Paris?\", \"Book me a table.\", \"Call my mother.\"]",
        "");
  }

  @Override
  public void stop() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
    if (config != null) {
      config.toFile().delete();
    }
  }
}
