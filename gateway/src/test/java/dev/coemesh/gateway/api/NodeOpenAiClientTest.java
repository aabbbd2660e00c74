package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.CONTINUATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.testing.Gateway;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm client (version pinned in src/test/node/package.json), driven by
 * src/test/node/client.mjs: installed into target/node-client at test time, skipped with a message
 * only when node or npm is missing.
 */
@QuarkusTest
class NodeOpenAiClientTest {
  private static final Path SOURCES = Path.of("src", "test", "node");
  private static final Path WORK = Path.of("target", "node-client");

  @TestHTTPResource("/")
  URI base;

  @Test
  void streamingAndNonStreamingCallsFromTheNodeClient() throws Exception {
    assumeTrue(
        runs("node", "--version") && runs("npm", "--version"),
        "node and npm are not installed: the openai npm client test is skipped");
    Files.createDirectories(WORK);
    for (String f : List.of("package.json", "client.mjs")) {
      Files.copy(SOURCES.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(WORK.resolve("node_modules/openai"))) {
      Result install = run(Map.of(), 300, "npm", "install", "--no-audit", "--no-fund");
      assertEquals(0, install.code, "npm install failed:\n" + install.output);
    }
    Result r =
        run(
            Map.of(
                "OPENAI_BASE_URL",
                base.resolve("/v1").toString(),
                "OPENAI_API_KEY",
                Gateway.DEFAULT_KEY),
            120,
            "node",
            "client.mjs");
    assertEquals(0, r.code, r.output);
    String json = r.output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
    JsonNode out = new ObjectMapper().readTree(json);

    assertEquals("[\"stories260k\",\"stories260k-gguf\",\"auto\"]", out.get("models").toString());
    assertEquals("stories260k", out.at("/chat/model").asText());
    assertEquals("length", out.at("/chat/finish_reason").asText());
    assertEquals(12, out.at("/chat/usage/completion_tokens").asInt());
    // greedy: the streamed chat is the same text as the whole one
    assertEquals(out.at("/chat/content").asText(), out.at("/stream/content").asText());
    assertEquals(12, out.at("/stream/usage/completion_tokens").asInt());
    assertEquals(CONTINUATION, out.at("/completion/text").asText());
    assertEquals(31, out.at("/completion/usage/total_tokens").asInt());
    assertEquals(CONTINUATION, out.at("/completionStream/text").asText());
    assertEquals(404, out.at("/error/status").asInt());
    assertEquals("model_not_found", out.at("/error/code").asText());
    assertEquals("model", out.at("/error/param").asText());
  }

  private record Result(int code, String output) {}

  private static Result run(Map<String, String> env, int timeoutSeconds, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out\n" + new String(out, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
