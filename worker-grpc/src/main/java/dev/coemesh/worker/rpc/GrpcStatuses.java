package dev.coemesh.worker.rpc;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The gRPC mapping of the error model for the worker services, both ways: a {@link MeshException}
 * becomes the status its {@link ErrorCode} names plus a {@code mesh-error-code} trailer, and a
 * client turns a failed call back into the same code (from the trailer, else from the status: a
 * dead or unreachable replica is {@code NO_HEALTHY_REPLICA}, which failover retries).
 */
public final class GrpcStatuses {
  public static final Metadata.Key<String> ERROR_CODE =
      Metadata.Key.of("mesh-error-code", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcStatuses() {}

  /** The status for any failure of a handler; unknown exceptions are {@code INTERNAL}. */
  public static StatusRuntimeException toStatus(Throwable failure) {
    Throwable t = unwrap(failure);
    MeshException error =
        switch (t) {
          case MeshException m -> m;
          case IllegalArgumentException bad -> MeshException.invalid(null, bad.getMessage());
          default -> new MeshException(ErrorCode.INTERNAL, "worker failed: " + t.getMessage(), t);
        };
    Metadata trailers = new Metadata();
    trailers.put(ERROR_CODE, error.code().wireCode());
    return Status.fromCode(Status.Code.valueOf(error.code().grpcStatus()))
        .withDescription(error.getMessage())
        .asRuntimeException(trailers);
  }

  /** The wire error code a handler's failure is answered with (a span's {@code error.type}). */
  public static String errorType(Throwable failure) {
    return toStatus(failure).getTrailers().get(ERROR_CODE);
  }

  /** The mesh error a client sees for a failed call. */
  public static MeshException toMesh(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof MeshException m) {
      return m;
    }
    Status status = Status.fromThrowable(t);
    Metadata trailers = Status.trailersFromThrowable(t);
    String wire = trailers == null ? null : trailers.get(ERROR_CODE);
    ErrorCode code = wire != null ? fromWire(wire) : fromStatus(status.getCode());
    String message = status.getDescription() != null ? status.getDescription() : status.toString();
    return new MeshException(code, message, t);
  }

  private static ErrorCode fromWire(String wire) {
    try {
      return ErrorCode.valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException unknown) {
      return ErrorCode.INTERNAL;
    }
  }

  private static ErrorCode fromStatus(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_REQUEST;
      case UNAVAILABLE, ABORTED -> ErrorCode.NO_HEALTHY_REPLICA;
      case RESOURCE_EXHAUSTED -> ErrorCode.CAPACITY_EXHAUSTED;
      case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
      case CANCELLED -> ErrorCode.CANCELLED;
      case NOT_FOUND -> ErrorCode.MODEL_NOT_FOUND;
      case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
      case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
      case FAILED_PRECONDITION -> ErrorCode.CONFIG_INVALID;
      case DATA_LOSS -> ErrorCode.KV_CORRUPT;
      case OK, UNKNOWN, ALREADY_EXISTS, UNIMPLEMENTED, INTERNAL -> ErrorCode.INTERNAL;
    };
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
