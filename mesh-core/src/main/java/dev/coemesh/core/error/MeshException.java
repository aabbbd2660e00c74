package dev.coemesh.core.error;

import java.util.Objects;

/**
 * The one exception type of the mesh. It carries a closed {@link ErrorCode}, a message meant for
 * the client, and optionally the request parameter at fault (OpenAI's {@code param}).
 */
public final class MeshException extends RuntimeException {
  private final ErrorCode code;
  private final String param;

  public MeshException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public MeshException(ErrorCode code, String message, Throwable cause) {
    this(code, message, null, cause);
  }

  public MeshException(ErrorCode code, String message, String param, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.code = Objects.requireNonNull(code, "code");
    this.param = param;
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

  /** The OpenAI-shaped body for this error. */
  public ErrorBody toBody() {
    return ErrorBody.of(code, getMessage(), param);
  }
}
