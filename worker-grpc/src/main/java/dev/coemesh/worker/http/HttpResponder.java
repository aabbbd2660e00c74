package dev.coemesh.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.Json;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Answers one OpenAI request from its generation's events, with the bodies the gateway answers with
 * ({@link ApiKind}): streamed as server-sent events ({@code stream: true}: a chunk per token that
 * adds text, the finish chunk, the usage chunk when asked, {@code [DONE]}) or as one JSON body.
 * Events arrive on gRPC threads in order; each is handed to the request's Vert.x context, which
 * writes them in the same order.
 */
final class HttpResponder implements Consumer<TokenEvent> {
  private final HttpServerResponse response;
  private final Context context;
  private final ObjectMapper json;
  private final OpenAiService.Prepared request;
  private final String id;
  private final String model;
  private final long created = System.currentTimeMillis() / 1000;
  private final StringBuilder text = new StringBuilder();
  private final SseStream stream;
  private boolean first = true;

  HttpResponder(
      HttpServerResponse response,
      Context context,
      ObjectMapper json,
      OpenAiService.Prepared request) {
    this.response = response;
    this.context = context;
    this.json = json;
    this.request = request;
    this.id = request.responseId();
    this.model = request.generation().expert().value(); // the expert, also for "auto" or none
    Map<String, String> headers = Map.of("x-mesh-request-id", request.generation().id().value());
    this.stream = request.api().stream() ? new SseStream(response, headers) : null;
    headers.forEach(response::putHeader);
  }

  @Override
  public void accept(TokenEvent event) {
    context.runOnContext(v -> write(event));
  }

  private void write(TokenEvent event) {
    switch (event) {
      case TokenEvent.Token t -> token(t);
      case TokenEvent.Finished f -> finished(f);
      case TokenEvent.Failed f -> failed(new MeshException(f.code(), f.message()));
      case TokenEvent.ToolCallDelta d -> {} // the mesh's engine makes no tool calls
    }
  }

  private void token(TokenEvent.Token t) {
    if (stream == null) {
      text.append(t.text());
    } else if (!t.text().isEmpty() || first) {
      // a token that completes no character yet adds no text; its bytes ride on a later token
      send(kind().chunk(id, created, model, t.text(), first));
      first = false;
    }
  }

  private void finished(TokenEvent.Finished f) {
    if (f.reason() == FinishReason.CANCELLED || response.closed() || response.ended()) {
      if (stream != null) {
        stream.end(); // the client went away
      }
      return;
    }
    if (stream == null) {
      Object whole =
          kind().whole(id, created, model, text.toString(), List.of(), f.reason(), f.usage());
      try {
        response.putHeader("content-type", "application/json").end(Json.write(json, whole));
      } catch (IllegalStateException gone) {
        // closed between the check and the write
      }
      return;
    }
    if (first) {
      send(kind().chunk(id, created, model, "", true));
      first = false;
    }
    send(kind().finishChunk(id, created, model, f.reason()));
    if (request.api().includeUsage()) {
      send(kind().usageChunk(id, created, model, f.usage()));
    }
    stream.done();
  }

  /** A failure: an HTTP error before the stream began, else an error event ending it. */
  void failed(MeshException error) {
    if (stream == null || !stream.started()) {
      HttpErrors.write(response, json, error);
      return;
    }
    stream.event(Json.write(json, error.toBody()));
    stream.end();
  }

  private ApiKind kind() {
    return request.kind();
  }

  private void send(Object chunk) {
    stream.event(Json.write(json, chunk));
  }
}
