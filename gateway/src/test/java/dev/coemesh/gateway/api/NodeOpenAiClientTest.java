package dev.coemesh.gateway.api;

import static dev.coemesh.gateway.testing.Gateway.CONTINUATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.gateway.testing.NodeProject;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm client (version pinned in src/test/node/package.json), driven by
 * src/test/node/client.mjs: installed into target/node-client at test time, skipped with a message
 * only when node or npm is missing.
 */
@QuarkusTest
class NodeOpenAiClientTest {
  private static final NodeProject NODE =
      new NodeProject(Path.of("src", "test", "node"), Path.of("target", "node-client"));

  @TestHTTPResource("/")
  URI base;

  @Test
  void streamingAndNonStreamingCallsFromTheNodeClient() throws Exception {
    assumeTrue(
        NodeProject.available(),
        "node and npm are not installed: the openai npm client test is skipped");
    NodeProject.Result install = NODE.install(List.of("package.json", "client.mjs"), "openai");
    assertEquals(0, install.code(), "npm install failed:\n" + install.output());
    NodeProject.Result r =
        NODE.run(
            Map.of(
                "OPENAI_BASE_URL",
                base.resolve("/v1").toString(),
                "OPENAI_API_KEY",
                Gateway.DEFAULT_KEY),
            120,
            "node",
            "client.mjs");
    assertEquals(0, r.code(), r.output());
    String json =
        r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
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
}
