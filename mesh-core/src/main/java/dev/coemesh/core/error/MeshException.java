package dev.coemesh.core.error;

import java.util.Objects;

/**
 * The one exception type of the mesh. It carries a closed {@link ErrorCode}, a message meant for
 * the client, and optionally the request parameter at fault (OpenAI's {@code param}) and OpenAI's
 * own {@code type} and {@code code} where OpenAI has more specific ones than the code's (its rate
 * limits: {@code "type": "tokens", "code": "rate_limit_exceeded"}).
 */
public final class MeshException extends RuntimeException {
  private final ErrorCode code;
  private final String param;
  private final String openAiType; // null: the code's
  private final String openAiCode; // null: the code's wire code

  public MeshException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public MeshException(ErrorCode code, String message, Throwable cause) {
    this(code, message, null, cause);
  }

  public MeshException(ErrorCode code, String message, String param, Throwable cause) {
    this(code, message, param, null, null, cause);
  }

  private MeshException(
      ErrorCode code,
      String message,
      String param,
      String openAiType,
      String openAiCode,
      Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.code = Objects.requireNonNull(code, "code");
    this.param = param;
    this.openAiType = openAiType;
    this.openAiCode = openAiCode;
  }

  /**
   * An error whose OpenAI body carries {@code openAiType} and {@code openAiCode} instead of {@code
   * code}'s type and wire code; the HTTP and gRPC statuses, metrics and the gRPC {@code
   * mesh-error-code} trailer still follow {@code code}.
   */
  public static MeshException openAi(
      ErrorCode code, String message, String openAiType, String openAiCode) {
    return new MeshException(
        code,
        message,
        null,
        Objects.requireNonNull(openAiType, "openAiType"),
        Objects.requireNonNull(openAiCode, "openAiCode"),
        null);
  }

  public static MeshException invalid(String param, String message) {
    return new MeshException(ErrorCode.INVALID_REQUEST, message, param, null);
  }

  public ErrorCode code() {
    return code;
  }

  /** The request parameter at fault, or {@code null}. */
  public String param() {
    return param;
  }

  /** The OpenAI error {@code type} of the body: the code's unless a more specific one was given. */
  public String openAiType() {
    return openAiType != null ? openAiType : code.openAiType();
  }

  /** The OpenAI error {@code code} of the body: the code's wire code unless one was given. */
  public String openAiCode() {
    return openAiCode != null ? openAiCode : code.wireCode();
  }

  /** The OpenAI-shaped body for this error. */
  public ErrorBody toBody() {
    return new ErrorBody(new ErrorBody.Error(getMessage(), openAiType(), param, openAiCode()));
  }
}
