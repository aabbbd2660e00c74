package dev.coemesh.pool.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PROTOCOL PEER for the client tests, not a model: a real HTTP server on loopback (the JDK's
 * {@code HttpServer}) that answers {@code POST /v1/completions} the way OpenAI-compatible servers
 * stream (chunked {@code data: {json}} events, a usage chunk, {@code data: [DONE]}), and misbehaves
 * on request. The prompt picks the behaviour:
 *
 * <ul>
 *   <li>{@code tokens:N} — N tokens " w0".." w{N-1}", finish "length", usage (prompt 7, cached 2)
 *   <li>{@code endless} — a token every 10 ms until the client goes away (records the close)
 *   <li>{@code stall} — one token, then silence for 10 s
 *   <li>{@code slow-headers} — no response for 10 s
 *   <li>{@code status:C} — status C with an OpenAI error body
 *   <li>{@code stream-error} — one token, then an in-stream error object (as vLLM sends them)
 *   <li>{@code malformed} — one token, then a chunk that is not JSON
 *   <li>{@code truncated} — two tokens, then the connection ends without finish or [DONE]
 * </ul>
 */
final class OpenAiProtocolPeer implements AutoCloseable {
  private final HttpServer server;
  final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
  volatile String lastBody;
  final AtomicInteger requests = new AtomicInteger();

  /** Counted down when an endless stream's client has gone away. */
  final CountDownLatch clientGone = new CountDownLatch(1);

  volatile int endlessTokensWritten;

  OpenAiProtocolPeer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/completions", this::handle);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    lastBody = body;
    ex.getRequestHeaders().forEach((k, v) -> lastHeaders.put(k.toLowerCase(), v.get(0)));
    Map<?, ?> json = (Map<?, ?>) UpstreamJson.parse(body);
    String prompt = (String) json.get("prompt");
    try (ex) {
      if (prompt.startsWith("tokens:")) {
        int n = Integer.parseInt(prompt.substring(7));
        OutputStream out = startStream(ex);
        for (int i = 0; i < n; i++) {
          event(out, chunk(" w" + i, i == n - 1 ? "\"length\"" : "null"));
        }
        event(
            out,
            "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":"
                + n
                + ",\"total_tokens\":"
                + (7 + n)
                + ",\"prompt_tokens_details\":{\"cached_tokens\":2}}}");
        event(out, "[DONE]");
      } else if (prompt.equals("endless")) {
        OutputStream out = startStream(ex);
        try {
          for (int i = 0; i < 1_000; i++) {
            event(out, chunk(" e" + i, "null"));
            endlessTokensWritten = i + 1;
            Thread.sleep(10);
          }
        } catch (IOException | InterruptedException gone) {
          clientGone.countDown();
        }
      } else if (prompt.equals("stall")) {
        OutputStream out = startStream(ex);
        event(out, chunk(" s", "null"));
        sleep(10_000);
      } else if (prompt.equals("slow-headers")) {
        sleep(10_000);
      } else if (prompt.startsWith("status:")) {
        int status = Integer.parseInt(prompt.substring(7));
        byte[] err =
            ("{\"error\":{\"message\":\"This model's maximum context length is 2048 tokens\","
                    + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}")
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, err.length);
        ex.getResponseBody().write(err);
      } else if (prompt.equals("stream-error")) {
        OutputStream out = startStream(ex);
        event(out, chunk(" x", "null"));
        event(
            out,
            "{\"error\":{\"message\":\"engine died\",\"type\":\"InternalServerError\",\"code\":500}}");
      } else if (prompt.equals("malformed")) {
        OutputStream out = startStream(ex);
        event(out, chunk(" x", "null"));
        event(out, "{\"choices\":[{\"text\":");
      } else if (prompt.equals("truncated")) {
        OutputStream out = startStream(ex);
        event(out, chunk(" a", "null"));
        event(out, chunk(" b", "null"));
      } else {
        ex.sendResponseHeaders(500, -1);
      }
    }
  }

  /**
   * One streamed completion chunk; {@code finish} is a JSON literal ({@code null}, {@code
   * "length"}).
   */
  private static String chunk(String text, String finish) {
    ObjectNode choice = UpstreamJson.object().put("index", 0).put("text", text).putNull("logprobs");
    Object reason = UpstreamJson.parse(finish);
    if (reason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", (String) reason);
    }
    ObjectNode chunk = UpstreamJson.object().put("id", "cmpl-1").put("object", "text_completion");
    chunk.putArray("choices").add(choice);
    return UpstreamJson.write(chunk);
  }

  private static OutputStream startStream(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0); // chunked
    return ex.getResponseBody();
  }

  private static void event(OutputStream out, String data) throws IOException {
    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
