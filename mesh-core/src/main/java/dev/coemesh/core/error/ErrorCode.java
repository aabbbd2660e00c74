package dev.coemesh.core.error;

/**
 * Every failure the mesh reports, as a closed set. Each code carries its mapping to the two client
 * protocols once, so REST and gRPC adapters never invent their own: the HTTP status and OpenAI
 * error {@code type} for REST, the gRPC status name for gRPC.
 *
 * <p>Client mistakes map to 4xx / non-INTERNAL statuses; only {@link #INTERNAL} is a 500.
 */
public enum ErrorCode {
  INVALID_REQUEST(400, "invalid_request_error", "INVALID_ARGUMENT"),
  UNSUPPORTED_PARAMETER(400, "invalid_request_error", "INVALID_ARGUMENT"),
  CONTEXT_LENGTH_EXCEEDED(400, "invalid_request_error", "INVALID_ARGUMENT"),
  UNAUTHENTICATED(401, "authentication_error", "UNAUTHENTICATED"),
  PERMISSION_DENIED(403, "permission_error", "PERMISSION_DENIED"),
  MODEL_NOT_FOUND(404, "invalid_request_error", "NOT_FOUND"),
  PAYLOAD_TOO_LARGE(413, "invalid_request_error", "INVALID_ARGUMENT"),
  URI_TOO_LONG(414, "invalid_request_error", "INVALID_ARGUMENT"),
  HEADERS_TOO_LARGE(431, "invalid_request_error", "INVALID_ARGUMENT"),
  TENANT_QUEUE_FULL(429, "rate_limit_error", "RESOURCE_EXHAUSTED"),
  RATE_LIMITED(429, "rate_limit_error", "RESOURCE_EXHAUSTED"),
  CANCELLED(499, "cancelled", "CANCELLED"),
  INTERNAL(500, "server_error", "INTERNAL"),
  NO_HEALTHY_REPLICA(503, "server_error", "UNAVAILABLE"),
  CAPACITY_EXHAUSTED(503, "server_error", "RESOURCE_EXHAUSTED"),
  DEADLINE_EXCEEDED(504, "server_error", "DEADLINE_EXCEEDED"),
  /** A model or tokenizer file is missing, truncated, corrupt or of an unsupported kind. */
  MODEL_FILE_INVALID(500, "server_error", "FAILED_PRECONDITION"),
  /** Configuration (routing file, tenants, flags) failed validation. */
  CONFIG_INVALID(500, "server_error", "FAILED_PRECONDITION"),
  /** A KV-cache entry is absent or expired in the store. */
  KV_NOT_FOUND(404, "server_error", "NOT_FOUND"),
  /** A KV-cache blob failed its integrity or format checks. */
  KV_CORRUPT(500, "server_error", "DATA_LOSS"),
  /** The KV store did not answer within its timeout. */
  KV_STORE_UNAVAILABLE(503, "server_error", "UNAVAILABLE"),
  /**
   * The shared limit store (Redis) cannot be reached and the tenant's limits must not be guessed
   * ({@code when-limits-unavailable: fail-closed}): the server's fault, not the client's excess.
   */
  LIMIT_STORE_UNAVAILABLE(503, "server_error", "UNAVAILABLE");

  private final int httpStatus;
  private final String openAiType;
  private final String grpcStatus;

  ErrorCode(int httpStatus, String openAiType, String grpcStatus) {
    this.httpStatus = httpStatus;
    this.openAiType = openAiType;
    this.grpcStatus = grpcStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The OpenAI error {@code type} field. */
  public String openAiType() {
    return openAiType;
  }

  /**
   * The name of the {@code io.grpc.Status.Code} this maps to (kept as a name: no gRPC dependency).
   */
  public String grpcStatus() {
    return grpcStatus;
  }

  /** The OpenAI error {@code code} field: the enum name in lower case. */
  public String wireCode() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public boolean isClientError() {
    return httpStatus >= 400 && httpStatus < 500 && this != KV_NOT_FOUND;
  }
}
