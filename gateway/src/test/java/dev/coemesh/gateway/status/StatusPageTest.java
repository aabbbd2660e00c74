package dev.coemesh.gateway.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.api.MeshHeaders;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.gateway.testing.NodeProject;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real browser: Debian's chromium driven by playwright-core (version pinned in
 * src/test/ui/package.json, installed into target/ui-test at test time) through
 * src/test/ui/status-page.mjs, against the running gateway. The page must load without a console
 * error or a failed request, show the configured experts, and show the requests this test sends
 * while it watches. Writes target/ui/status-page.png. Skipped with a message only when node, npm or
 * /usr/bin/chromium is missing.
 */
@QuarkusTest
class StatusPageTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final NodeProject NODE =
      new NodeProject(Path.of("src", "test", "ui"), Path.of("target", "ui-test"));
  private static final Path SCREENSHOT = Path.of("target", "ui", "status-page.png");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TestHTTPResource("/")
  URI base;

  @Test
  void thePageShowsTheLiveExpertsAndTheRequestsSentWhileItWatches() throws Exception {
    assumeTrue(
        NodeProject.available() && Files.isExecutable(CHROMIUM),
        "node, npm or /usr/bin/chromium is missing: the status page browser test is skipped");
    NodeProject.Result install =
        NODE.install(List.of("package.json", "status-page.mjs"), "playwright-core");
    assertEquals(0, install.code(), "npm install failed:\n" + install.output());
    Files.createDirectories(SCREENSHOT.getParent());
    Files.deleteIfExists(SCREENSHOT);

    Process browser =
        NODE.process(
                Map.of(
                    "BASE_URL", base.resolve("/").toString().replaceAll("/$", ""),
                    "EXPERTS", "stories260k,stories260k-gguf",
                    "SCREENSHOT", SCREENSHOT.toAbsolutePath().toString(),
                    "CHROMIUM", CHROMIUM.toString()),
                "node",
                "status-page.mjs")
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> transcript = new ArrayList<>();
    Thread.ofVirtual().start(() -> readLines(browser, lines));
    try {
      JsonNode ready = JSON.readTree(await(lines, "READY ", transcript));
      int sent = sendRequests();
      try (Writer stdin =
          new OutputStreamWriter(browser.getOutputStream(), StandardCharsets.UTF_8)) {
        stdin.write("sent\n");
      }
      JsonNode result = JSON.readTree(await(lines, "RESULT ", transcript));

      assertEquals(List.of(), list(result.get("consoleErrors")), "console errors");
      assertEquals(List.of(), list(result.get("failedRequests")), "failed requests");
      assertEquals(List.of("stories260k", "stories260k-gguf"), list(result.get("experts")));
      assertEquals(2, result.get("replicas").size(), result.toString());
      assertEquals(
          List.of("acme", "bulk", "default", "limited", "metered", "single"),
          list(result.get("tenants")).stream().sorted().toList());
      assertTrue(
          result.get("requestsAfter").asLong() >= ready.get("requests").asLong() + sent,
          result.toString());
      // newest first: the last request sent, a code question with the category hint
      JsonNode newest = result.at("/decisions/0/cells");
      assertEquals("default", newest.get(1).asText(), newest.toString());
      assertEquals("code", newest.get(2).asText());
      assertEquals("1.00", newest.get(3).asText());
      assertEquals("category-hint", newest.get(4).asText());
      assertEquals("stories260k-gguf", newest.get(5).asText());
      assertEquals("colocated", newest.get(6).asText());
      assertTrue(
          newest.get(7).asText().startsWith("stories260k-gguf/colocated/"), newest.toString());
      long seqBefore = ready.get("newestSeq").asLong();
      long newRows = 0;
      for (JsonNode row : result.get("decisions")) {
        newRows += row.get("seq").asLong() > seqBefore ? 1 : 0;
      }
      assertEquals(sent, newRows, result.toString());
      assertTrue(result.get("chartPoints").asInt() >= 2, result.toString());
      assertTrue(Double.parseDouble(result.get("rateRequests").asText()) > 0, result.toString());
      assertEquals("live", result.get("live").asText());
      assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot of the page");
    } finally {
      if (!browser.waitFor(30, TimeUnit.SECONDS)) {
        browser.destroyForcibly();
      }
    }
    assertEquals(0, browser.exitValue(), String.join("\n", transcript));
  }

  /** Real chat completions: a story through the classifier, then a code question by its hint. */
  private int sendRequests() throws Exception {
    List<String[]> requests =
        List.of(
            new String[] {"Tell me a story about a little bear.", null},
            new String[] {"Tell me a story about a brave mouse.", null},
            new String[] {"Write a function that reverses a list.", "code"});
    for (String[] r : requests) {
      String body =
          "{\"model\":\"auto\",\"max_tokens\":6,\"temperature\":0,"
              + "\"messages\":[{\"role\":\"user\",\"content\":\""
              + r[0]
              + "\"}]}";
      HttpRequest.Builder b =
          HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
              .timeout(Duration.ofSeconds(30))
              .header("content-type", "application/json")
              .header("authorization", "Bearer " + Gateway.DEFAULT_KEY)
              .POST(HttpRequest.BodyPublishers.ofString(body));
      if (r[1] != null) {
        b.header(MeshHeaders.CATEGORY, r[1]);
      }
      HttpResponse<String> response = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
    }
    return requests.size();
  }

  private static void readLines(Process p, BlockingQueue<String> lines) {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("FAILED reading the script's output: " + e);
    }
  }

  /** The rest of the first line starting with {@code prefix}; fails on FAILED or after 60 s. */
  private static String await(BlockingQueue<String> lines, String prefix, List<String> transcript)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      String line = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null) {
        break;
      }
      transcript.add(line);
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
      if (line.startsWith("FAILED")) {
        throw new AssertionError(String.join("\n", transcript));
      }
    }
    throw new AssertionError(
        "no " + prefix.strip() + " line in 60 s:\n" + String.join("\n", transcript));
  }

  private static List<String> list(JsonNode array) {
    assertNotNull(array);
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
