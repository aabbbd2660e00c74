package dev.coemesh.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A PROTOCOL PEER, not a model: an OpenAI-compatible server in its own process ({@link
 * ChatPeerProcess} starts it) that CHECKS what it receives and answers as such servers stream. It
 * validates each request's shape (model name, {@code stream} with usage, {@code max_tokens}, every
 * message's role and content, every tool) and answers 400 with an OpenAI error when one is wrong,
 * as vLLM does; {@code GET /peer/last} returns the last body it accepted, so a test can assert that
 * the messages arrived unchanged.
 *
 * <p>Answers: with {@code tools} (and a last message that is not a tool result), a streamed call of
 * the first tool with arguments {@code {"city": "Paris"}} in fragments, finish {@code tool_calls};
 * otherwise {@code "You said: <last message's text>"} word by word, finish {@code stop}. A {@code
 * response_format} of type {@code json_schema} is refused with 400 (a server without structured
 * output). Usage: prompt tokens = words in all messages' text + 3 per message; completion tokens =
 * chunks sent.
 */
public final class ChatPeer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");

  private final String model;
  private final AtomicReference<String> last = new AtomicReference<>("{}");

  private ChatPeer(String model) {
    this.model = model;
  }

  /** {@code ChatPeer MODEL}: serves on a free loopback port and prints {@code LISTENING <port>}. */
  public static void main(String[] args) throws IOException {
    ChatPeer peer = new ChatPeer(args[0]);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/chat/completions", ex -> peer.handle(ex, true));
    server.createContext("/v1/completions", ex -> peer.handle(ex, false));
    server.createContext(
        "/peer/last",
        ex -> {
          try (ex) {
            send(ex, 200, "application/json", peer.last.get());
          }
        });
    server.start();
    System.out.println("LISTENING " + server.getAddress().getPort());
    System.out.flush();
  }

  private void handle(HttpExchange ex, boolean chat) throws IOException {
    try (ex) {
      String text = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      JsonNode body;
      try {
        body = JSON.readTree(text);
      } catch (IOException e) {
        error(ex, 400, "body is not JSON");
        return;
      }
      String problem = chat ? checkChat(body) : checkCommon(body);
      if (problem == null && !chat && !body.path("prompt").isTextual()) {
        problem = "'prompt' must be a string";
      }
      if (problem != null) {
        error(ex, 400, problem);
        return;
      }
      if ("json_schema".equals(body.path("response_format").path("type").asText())) {
        error(ex, 400, "response_format 'json_schema' is not supported by this server");
        return;
      }
      last.set(text);
      OutputStream out = startStream(ex);
      String object = chat ? "chat.completion.chunk" : "text_completion";
      int prompt = chat ? promptTokens(body.get("messages")) : words(body.get("prompt").asText());
      int sent;
      if (chat && body.path("tools").size() > 0 && !lastRole(body).equals("tool")) {
        sent = toolCall(out, body.at("/tools/0/function/name").asText());
        event(out, chunk(object, JSON.createObjectNode(), "tool_calls"));
      } else {
        String reply =
            chat
                ? "You said: " + text(body.get("messages").get(body.get("messages").size() - 1))
                : " completion of: " + body.get("prompt").asText();
        List<String> words = List.of(reply.split("(?<= )"));
        for (String w : words) {
          event(out, chat ? chunk(object, delta(w), null) : textChunk(w, null));
        }
        sent = words.size();
        event(out, chat ? chunk(object, JSON.createObjectNode(), "stop") : textChunk("", "stop"));
      }
      ObjectNode usage = JSON.createObjectNode();
      usage.put("prompt_tokens", prompt).put("completion_tokens", sent);
      usage.put("total_tokens", prompt + sent);
      ObjectNode tail = JSON.createObjectNode().put("id", "peer-1").put("object", object);
      tail.putArray("choices");
      tail.set("usage", usage);
      event(out, tail.toString());
      event(out, "[DONE]");
    }
  }

  /** The checks every endpoint makes; null when the request is well formed. */
  private String checkCommon(JsonNode body) {
    if (!model.equals(body.path("model").asText())) {
      return "model '" + body.path("model").asText() + "' does not exist";
    }
    if (!body.path("stream").asBoolean(false)
        || !body.path("stream_options").path("include_usage").asBoolean(false)) {
      return "expected stream: true with stream_options.include_usage";
    }
    if (!body.path("max_tokens").canConvertToInt() || body.path("max_tokens").asInt() < 1) {
      return "'max_tokens' must be a positive integer";
    }
    return null;
  }

  private String checkChat(JsonNode body) {
    String common = checkCommon(body);
    if (common != null) {
      return common;
    }
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      return "'messages' must be a non-empty array";
    }
    for (JsonNode m : messages) {
      String role = m.path("role").asText("");
      if (!ROLES.contains(role)) {
        return "unknown role '" + role + "'";
      }
      boolean calls = m.path("tool_calls").isArray() && !m.path("tool_calls").isEmpty();
      if (!(m.path("content").isTextual() || m.path("content").isArray() || calls)) {
        return "a " + role + " message needs content";
      }
      if (role.equals("tool") && !m.path("tool_call_id").isTextual()) {
        return "a tool message needs 'tool_call_id'";
      }
    }
    for (JsonNode tool : body.path("tools")) {
      if (!"function".equals(tool.path("type").asText())
          || !tool.path("function").path("name").isTextual()) {
        return "each tool needs type 'function' and a function name";
      }
    }
    return null;
  }

  private static String lastRole(JsonNode body) {
    JsonNode messages = body.get("messages");
    return messages.get(messages.size() - 1).path("role").asText();
  }

  /** A message's text: its string content, or its text parts joined. */
  static String text(JsonNode message) {
    JsonNode content = message.path("content");
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : content) {
      sb.append(part.path("text").asText(""));
    }
    return sb.toString();
  }

  /** Words in all messages' text plus 3 per message: the peer's own token count. */
  static int promptTokens(JsonNode messages) {
    int tokens = 0;
    for (JsonNode m : messages) {
      tokens += words(text(m)) + 3;
    }
    return tokens;
  }

  private static int words(String s) {
    String t = s.strip();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }

  /** Streams one call of {@code function} in three fragments; returns the chunks sent. */
  private static int toolCall(OutputStream out, String function) throws IOException {
    ObjectNode first = JSON.createObjectNode().put("role", "assistant");
    ObjectNode call = first.putArray("tool_calls").addObject();
    call.put("index", 0).put("id", "call_peer_1").put("type", "function");
    call.putObject("function").put("name", function).put("arguments", "");
    event(out, chunk("chat.completion.chunk", first, null));
    for (String piece : List.of("{\"city\":", " \"Paris\"}")) {
      ObjectNode delta = JSON.createObjectNode();
      ObjectNode more = delta.putArray("tool_calls").addObject().put("index", 0);
      more.putObject("function").put("arguments", piece);
      event(out, chunk("chat.completion.chunk", delta, null));
    }
    return 3;
  }

  private static ObjectNode delta(String content) {
    return JSON.createObjectNode().put("content", content);
  }

  private static String chunk(String object, ObjectNode delta, String finish) {
    ObjectNode chunk = JSON.createObjectNode().put("id", "peer-1").put("object", object);
    ObjectNode choice = ((ArrayNode) chunk.putArray("choices")).addObject().put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    return chunk.toString();
  }

  private static String textChunk(String text, String finish) {
    ObjectNode chunk = JSON.createObjectNode().put("id", "peer-1").put("object", "text_completion");
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0).put("text", text);
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    return chunk.toString();
  }

  private static void error(HttpExchange ex, int status, String message) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error")
        .put("message", message)
        .put("type", "invalid_request_error")
        .putNull("param")
        .putNull("code");
    send(ex, status, "application/json", body.toString());
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
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
}
