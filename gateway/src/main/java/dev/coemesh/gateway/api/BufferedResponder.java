package dev.coemesh.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.gateway.error.RestErrors;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.orchestrate.GenerationListener;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/** Collects the whole generation and answers once with one JSON body ({@code stream: false}). */
final class BufferedResponder implements GenerationListener {
  private final HttpServerResponse response;
  private final ObjectMapper json;
  private final ApiKind kind;
  private final StringBuilder text = new StringBuilder();
  private final ToolCalls toolCalls = new ToolCalls();
  private String id;
  private String model;
  private long created;
  private Map<String, String> limits = Map.of();

  BufferedResponder(HttpServerResponse response, ObjectMapper json, ApiKind kind) {
    this.response = response;
    this.json = json;
    this.kind = kind;
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
  }

  @Override
  public void onToken(TokenEvent.Token token) {
    text.append(token.text());
  }

  @Override
  public void onToolCall(TokenEvent.ToolCallDelta call) {
    toolCalls.add(call);
  }

  @Override
  public void onFinished(FinishReason reason, Usage usage) {
    if (reason == FinishReason.CANCELLED || response.closed() || response.ended()) {
      return; // the client went away: there is nobody to answer
    }
    String body =
        Json.write(
            json,
            kind.whole(id, created, model, text.toString(), toolCalls.whole(), reason, usage));
    try {
      limits.forEach(response::putHeader);
      response
          .setStatusCode(200)
          .putHeader("content-type", "application/json")
          .putHeader(MeshHeaders.EXPERT, model)
          .end(Buffer.buffer(body));
    } catch (IllegalStateException gone) {
      // closed between the check and the write
    }
  }

  @Override
  public void onFailed(MeshException error, int retryAfterSeconds) {
    try {
      RestErrors.write(response, json, error, retryAfterSeconds, limits);
    } catch (IllegalStateException gone) {
      // closed between the check and the write
    }
  }
}
