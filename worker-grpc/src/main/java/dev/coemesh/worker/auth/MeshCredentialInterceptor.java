package dev.coemesh.worker.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.worker.rpc.GrpcStatuses;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Objects;

/**
 * Admits a call to the worker services only when it presents the mesh credential ({@code
 * authorization: Bearer <token>}); any other call ends at once with {@code UNAUTHENTICATED} and the
 * {@code mesh-error-code} trailer {@code unauthenticated}, before a handler sees its message, so a
 * refused call does no work. The standard gRPC health and reflection services stay open (probes and
 * tooling hold no credential, and they reveal nothing about requests); every other service,
 * including any added later, is protected.
 */
public class MeshCredentialInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final MeshCredential credential;

  public MeshCredentialInterceptor(MeshCredential credential) {
    this.credential = Objects.requireNonNull(credential, "credential");
  }

  /** Whether calls to {@code service} (a fully qualified gRPC service name) need no credential. */
  public static boolean isOpen(String service) {
    return service != null
        && (service.startsWith("grpc.health.") || service.startsWith("grpc.reflection."));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (isOpen(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String presented = headers.get(AUTHORIZATION);
    if (credential.matches(presented)) {
      return next.startCall(call, headers);
    }
    StatusRuntimeException refused =
        GrpcStatuses.toStatus(
            new MeshException(
                ErrorCode.UNAUTHENTICATED,
                presented == null
                    ? "worker calls need the mesh credential (authorization: Bearer <token>)"
                    : "the mesh credential presented is not this mesh's"));
    call.close(refused.getStatus(), refused.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
