package dev.coemesh.gateway.error;

import dev.coemesh.core.error.MeshException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;

/**
 * The gRPC mapping of the error model: {@link MeshException} to the status named by its {@link
 * dev.coemesh.core.error.ErrorCode}, the message as description, and two trailers: {@code
 * mesh-error-code} (the OpenAI-style wire code, so clients can tell e.g. rate limiting from a full
 * queue) and {@code retry-after} (seconds) when a hint is known; a request refused by its tenant's
 * limits also carries OpenAI's {@code x-ratelimit-*} values as trailers.
 */
public final class GrpcErrors {
  public static final Metadata.Key<String> ERROR_CODE =
      Metadata.Key.of("mesh-error-code", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> RETRY_AFTER =
      Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcErrors() {}

  public static Status status(MeshException error) {
    return Status.fromCode(Status.Code.valueOf(error.code().grpcStatus()))
        .withDescription(error.getMessage());
  }

  public static StatusRuntimeException toException(MeshException error, int retryAfterSeconds) {
    return toException(error, retryAfterSeconds, Map.of());
  }

  /** The same, with {@code extra} ASCII trailers (lower-case names). */
  public static StatusRuntimeException toException(
      MeshException error, int retryAfterSeconds, Map<String, String> extra) {
    Metadata trailers = new Metadata();
    extra.forEach(
        (name, value) ->
            trailers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
    trailers.put(ERROR_CODE, error.code().wireCode());
    int retry =
        retryAfterSeconds > 0 ? retryAfterSeconds : RestErrors.defaultRetryAfter(error.code());
    if (retry > 0) {
      trailers.put(RETRY_AFTER, Integer.toString(retry));
    }
    return status(error).asRuntimeException(trailers);
  }
}
