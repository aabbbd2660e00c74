package dev.coemesh.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorBody;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.openai.Json;
import io.vertx.core.http.HttpServerResponse;

/**
 * OpenAI-shaped error answers of the worker's HTTP surface: the status of the error's {@link
 * ErrorCode} and the body {@code {"error":{"message","type","param","code"}}} ({@link ErrorBody},
 * as the gateway answers), with {@code Retry-After: 1} when the worker is full or draining.
 */
final class HttpErrors {
  private HttpErrors() {}

  /** Ends {@code response} with {@code error}; nothing when the response began or ended. */
  static void write(HttpServerResponse response, ObjectMapper json, MeshException error) {
    int status = error.code().httpStatus();
    String retryAfter = status == 429 || status == 503 ? "1" : null;
    write(response, json, status, error.toBody(), retryAfter);
  }

  /** A request for a path nothing here serves: OpenAI's 404 {@code unknown_url}. */
  static void unknownUrl(HttpServerResponse response, ObjectMapper json, String what) {
    write(
        response,
        json,
        404,
        new ErrorBody(new ErrorBody.Error(what, "invalid_request_error", null, "unknown_url")),
        null);
  }

  /** A method a served path does not take: 405 with {@code Allow}. */
  static void methodNotAllowed(
      HttpServerResponse response, ObjectMapper json, String method, String path, String allow) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    response.putHeader("allow", allow);
    write(
        response,
        json,
        405,
        new ErrorBody(
            new ErrorBody.Error(
                method + " is not allowed on " + path + "; use " + allow,
                "invalid_request_error",
                null,
                "method_not_allowed")),
        null);
  }

  private static void write(
      HttpServerResponse response,
      ObjectMapper json,
      int status,
      ErrorBody body,
      String retryAfter) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    try {
      response.setStatusCode(status).putHeader("content-type", "application/json");
      if (retryAfter != null) {
        response.putHeader("retry-after", retryAfter);
      }
      response.end(Json.write(json, body));
    } catch (IllegalStateException gone) {
      // the client closed the connection meanwhile
    }
  }

  /** The error code of a request refused because the worker is draining. */
  static MeshException draining() {
    return new MeshException(
        ErrorCode.NO_HEALTHY_REPLICA, "this worker is draining; send the request to another one");
  }
}
