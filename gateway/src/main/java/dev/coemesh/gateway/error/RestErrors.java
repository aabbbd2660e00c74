package dev.coemesh.gateway.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorBody;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * The REST mapping of the error model: {@link MeshException} to the HTTP status of its {@link
 * ErrorCode} and OpenAI's body {@code {"error":{"message","type","param","code"}}} (the exception's
 * own OpenAI type and code where it has them, as rate limits do), with {@code Retry-After} on 429
 * and 503 when a hint is known.
 */
public final class RestErrors {
  private RestErrors() {}

  /** The JSON body of an error, as OpenAI shapes it. */
  public static String body(ObjectMapper json, MeshException error) {
    try {
      return json.writeValueAsString(error.toBody());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an ErrorBody always serialises", e);
    }
  }

  /**
   * Ends {@code response} with the error. Does nothing when the response has already begun (a
   * stream reports mid-stream errors itself) or the client has gone.
   *
   * @param retryAfterSeconds the {@code Retry-After} value; 0 for none
   */
  public static void write(
      HttpServerResponse response, ObjectMapper json, MeshException error, int retryAfterSeconds) {
    write(response, json, error, retryAfterSeconds, Map.of());
  }

  /**
   * Ends {@code response} with the error and {@code headers} (a tenant's {@code x-ratelimit-*}).
   */
  public static void write(
      HttpServerResponse response,
      ObjectMapper json,
      MeshException error,
      int retryAfterSeconds,
      Map<String, String> headers) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    headers.forEach(response::putHeader);
    ErrorCode code = error.code();
    response.setStatusCode(code.httpStatus());
    response.putHeader("content-type", "application/json");
    int retry = retryAfterSeconds > 0 ? retryAfterSeconds : defaultRetryAfter(code);
    if (retry > 0) {
      response.putHeader("retry-after", Integer.toString(retry));
    }
    response.end(Buffer.buffer(body(json, error)));
  }

  /**
   * OpenAI's 404 for a path, or a method on a path, that nothing serves ({@code code:
   * "unknown_url"}). Does nothing when the response has already ended.
   *
   * @param served what the routes under this prefix do serve, for the message
   */
  public static void unknownUrl(
      HttpServerResponse response, ObjectMapper json, String method, String path, String served) {
    if (response.ended() || response.closed()) {
      return;
    }
    ErrorBody body =
        new ErrorBody(
            new ErrorBody.Error(
                "Unknown request URL: "
                    + method
                    + " "
                    + path
                    + " (this gateway serves "
                    + served
                    + ")",
                "invalid_request_error",
                null,
                "unknown_url"));
    try {
      response
          .setStatusCode(404)
          .putHeader("content-type", "application/json")
          .end(Buffer.buffer(json.writeValueAsString(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an ErrorBody always serialises", e);
    }
  }

  /** Retry hint when the rejecting component gave none: queues drain within about a second. */
  static int defaultRetryAfter(ErrorCode code) {
    return switch (code) {
      case TENANT_QUEUE_FULL, RATE_LIMITED, CAPACITY_EXHAUSTED, LIMIT_STORE_UNAVAILABLE -> 1;
      case INVALID_REQUEST,
          UNSUPPORTED_PARAMETER,
          CONTEXT_LENGTH_EXCEEDED,
          UNAUTHENTICATED,
          PERMISSION_DENIED,
          MODEL_NOT_FOUND,
          PAYLOAD_TOO_LARGE,
          URI_TOO_LONG,
          HEADERS_TOO_LARGE,
          CANCELLED,
          INTERNAL,
          NO_HEALTHY_REPLICA,
          DEADLINE_EXCEEDED,
          MODEL_FILE_INVALID,
          CONFIG_INVALID,
          KV_NOT_FOUND,
          KV_CORRUPT,
          KV_STORE_UNAVAILABLE ->
          0;
    };
  }
}
