package dev.coemesh.gateway.sse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.gateway.api.MeshHeaders;
import dev.coemesh.gateway.error.RestErrors;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.orchestrate.GenerationListener;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.Json;
import dev.coemesh.worker.http.SseStream;
import io.vertx.core.http.HttpServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Streams a generation as OpenAI does ({@code stream: true}): a first chunk (for chat with {@code
 * role: assistant}), one chunk per token that adds text or per tool-call fragment, a chunk with the
 * {@code finish_reason}, the usage chunk when {@code stream_options.include_usage} asked for it,
 * then {@code data: [DONE]}. A failure before the first event is a plain HTTP error; a failure
 * mid-stream is sent as a {@code data: {"error":...}} event, then the stream ends without {@code
 * [DONE]}.
 */
public final class StreamingResponder implements GenerationListener {
  private final HttpServerResponse response;
  private final ObjectMapper json;
  private final ApiKind kind;
  private final boolean includeUsage;
  private SseStream stream;
  private String id;
  private String model;
  private long created;
  private boolean first = true;
  private Map<String, String> limits = Map.of();

  public StreamingResponder(
      HttpServerResponse response, ObjectMapper json, ApiKind kind, boolean includeUsage) {
    this.response = response;
    this.json = json;
    this.kind = kind;
    this.includeUsage = includeUsage;
  }

  @Override
  public void onRateLimits(RateLimitHeaders headers) {
    limits = headers.headers();
  }

  @Override
  public void onRouted(RequestId requestId, ExpertId expert, int promptTokens) {
    id = kind.responseId(requestId.value());
    model = expert.value();
    created = System.currentTimeMillis() / 1000;
    Map<String, String> headers = new LinkedHashMap<>(limits);
    headers.put(MeshHeaders.EXPERT, model);
    headers.put(MeshHeaders.REQUEST_ID, requestId.value());
    stream = new SseStream(response, headers);
  }

  @Override
  public void onToken(TokenEvent.Token token) {
    // a token that completes no character yet adds no text; its bytes ride on a later token
    if (!token.text().isEmpty() || first) {
      send(kind.chunk(id, created, model, token.text(), first));
      first = false;
    }
  }

  @Override
  public void onToolCall(TokenEvent.ToolCallDelta call) {
    send(kind.toolCallChunk(id, created, model, call, first));
    first = false;
  }

  @Override
  public void onFinished(FinishReason reason, Usage usage) {
    if (reason == FinishReason.CANCELLED) {
      stream.end(); // the client went away
      return;
    }
    if (first) {
      send(kind.chunk(id, created, model, "", true));
      first = false;
    }
    send(kind.finishChunk(id, created, model, reason));
    if (includeUsage) {
      send(kind.usageChunk(id, created, model, usage));
    }
    stream.done();
  }

  @Override
  public void onFailed(MeshException error, int retryAfterSeconds) {
    if (stream == null || !stream.started()) {
      try {
        RestErrors.write(response, json, error, retryAfterSeconds, limits);
      } catch (IllegalStateException gone) {
        // closed between the check and the write
      }
      return;
    }
    stream.event(RestErrors.body(json, error));
    stream.end();
  }

  private void send(Object chunk) {
    stream.event(Json.write(json, chunk));
  }
}
