package dev.coemesh.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.pool.openai.ChatMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Streams chat completions from the gateway's {@code /v1/chat/completions} ({@code stream: true}
 * with {@code stream_options.include_usage}) and times them as the client sees them: TTFT from
 * sending the request to the first chunk (the gateway sends it with the first token), TPOT the mean
 * gap after it, from the first chunk to the finish chunk over {@code completion_tokens − 1}.
 */
final class ChatClient {
  /** One request's outcome as the client saw it. */
  sealed interface Outcome {
    /** A whole answer: timings in ms, token counts from the usage chunk, the answer's text. */
    record Answered(
        double ttftMs,
        double tpotMs,
        double latencyMs,
        int promptTokens,
        int cachedTokens,
        int completionTokens,
        String text)
        implements Outcome {}

    /** An HTTP error, a mid-stream error event, a stream without {@code [DONE]} or a timeout. */
    record Failed(String reason) implements Outcome {}
  }

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ObjectMapper json = new ObjectMapper();
  private final URI chat;
  private final String apiKey;
  private final Duration timeout;

  ChatClient(URI base, String apiKey, Duration timeout) {
    this.chat = base.resolve("/v1/chat/completions");
    this.apiKey = apiKey;
    this.timeout = timeout;
  }

  /** Sends one greedy request and blocks until its stream ends. */
  Outcome complete(String model, List<ChatMessage> messages, int maxTokens) {
    ObjectNode body = json.createObjectNode();
    body.put("model", model);
    ArrayNode list = body.putArray("messages");
    for (ChatMessage m : messages) {
      list.addObject().put("role", m.role().wireName()).put("content", m.content());
    }
    body.put("max_tokens", maxTokens);
    body.put("temperature", 0.0);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    HttpRequest request =
        HttpRequest.newBuilder(chat)
            .timeout(timeout)
            .header("Authorization", "Bearer " + apiKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    long start = System.nanoTime();
    try {
      HttpResponse<Stream<String>> response =
          http.send(request, HttpResponse.BodyHandlers.ofLines());
      try (Stream<String> lines = response.body()) {
        if (response.statusCode() != 200) {
          return new Outcome.Failed(
              "HTTP " + response.statusCode() + ": " + String.join("", lines.toList()));
        }
        return read(lines.iterator(), start);
      }
    } catch (Exception e) {
      return new Outcome.Failed(e.toString());
    }
  }

  private Outcome read(Iterator<String> lines, long start) throws Exception {
    long first = 0;
    long last = 0;
    StringBuilder text = new StringBuilder();
    JsonNode usage = null;
    while (lines.hasNext()) {
      String line = lines.next();
      if (!line.startsWith("data:")) {
        continue;
      }
      long now = System.nanoTime();
      String data = line.substring(5).trim();
      if (data.equals("[DONE]")) {
        if (first == 0 || usage == null) {
          return new Outcome.Failed("stream ended without tokens or usage");
        }
        int completion = usage.path("completion_tokens").asInt();
        double tpot = completion > 1 ? (last - first) / 1e6 / (completion - 1) : 0;
        return new Outcome.Answered(
            (first - start) / 1e6,
            tpot,
            (last - start) / 1e6,
            usage.path("prompt_tokens").asInt(),
            usage.path("prompt_tokens_details").path("cached_tokens").asInt(),
            completion,
            text.toString());
      }
      JsonNode chunk = json.readTree(data);
      if (chunk.has("error")) {
        return new Outcome.Failed("error event: " + chunk.get("error"));
      }
      if (chunk.hasNonNull("usage")) {
        usage = chunk.get("usage");
        continue;
      }
      JsonNode choice = chunk.path("choices").path(0);
      if (first == 0) {
        first = now;
      }
      if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
        last = now; // the finish chunk follows the last token at once
      }
      text.append(choice.path("delta").path("content").asText(""));
    }
    return new Outcome.Failed("stream ended without [DONE]");
  }
}
