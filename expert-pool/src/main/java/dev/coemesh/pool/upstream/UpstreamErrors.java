package dev.coemesh.pool.upstream;

import dev.coemesh.core.error.ErrorCode;
import java.util.Locale;
import java.util.Map;

/**
 * Maps what an upstream answers to the mesh's error codes. The client's own mistakes (a bad
 * parameter, a prompt too long for the upstream's context) stay 4xx; the upstream's failures, or a
 * configuration it rejects (key, model name), become 5xx, since the client cannot fix them.
 */
final class UpstreamErrors {
  private static final int MAX_MESSAGE = 300;

  private UpstreamErrors() {}

  static ErrorCode forStatus(int status, String message) {
    String m = message.toLowerCase(Locale.ROOT);
    return switch (status) {
      case 400 ->
          m.contains("context length") || m.contains("maximum context") || m.contains("too long")
              ? ErrorCode.CONTEXT_LENGTH_EXCEEDED
              : ErrorCode.INVALID_REQUEST;
      case 401, 403, 404 -> ErrorCode.CONFIG_INVALID;
      case 408, 504 -> ErrorCode.DEADLINE_EXCEEDED;
      case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
      case 429 -> ErrorCode.CAPACITY_EXHAUSTED;
      default -> status >= 500 ? ErrorCode.NO_HEALTHY_REPLICA : ErrorCode.INVALID_REQUEST;
    };
  }

  /** The {@code error.message} of an OpenAI-shaped body, else the body itself, shortened. */
  static String message(String body) {
    String text = body;
    try {
      if (UpstreamJson.parse(body) instanceof Map<?, ?> root
          && root.get("error") instanceof Map<?, ?> error
          && error.get("message") instanceof String m) {
        text = m;
      }
    } catch (IllegalArgumentException notJson) {
      // keep the raw text
    }
    text = text.strip();
    return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE) + "...";
  }

  /** An {@code {"error": {...}}} object sent inside the stream (vLLM does this). */
  static ErrorCode forStreamError(Map<?, ?> error, String message) {
    if (error.get("code") instanceof Number code) {
      return forStatus(code.intValue(), message);
    }
    return "invalid_request_error".equals(error.get("type"))
        ? forStatus(400, message)
        : ErrorCode.NO_HEALTHY_REPLICA;
  }
}
