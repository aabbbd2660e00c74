package dev.coemesh.core.error;

import java.util.Objects;

/**
 * The OpenAI-shaped error body, {@code {"error":{"message","type","param","code"}}}. REST adapters
 * serialise this record as it is; field names match the wire format.
 */
public record ErrorBody(Error error) {
  public ErrorBody {
    Objects.requireNonNull(error, "error");
  }

  /** The inner object; {@code param} may be null, as in OpenAI's responses. */
  public record Error(String message, String type, String param, String code) {
    public Error {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(code, "code");
    }
  }

  public static ErrorBody of(ErrorCode code, String message, String param) {
    return new ErrorBody(new Error(message, code.openAiType(), param, code.wireCode()));
  }
}
