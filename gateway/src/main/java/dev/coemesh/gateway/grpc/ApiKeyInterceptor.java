package dev.coemesh.gateway.grpc;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.auth.ApiKeyAuthenticator;
import dev.coemesh.gateway.error.GrpcErrors;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.inject.Singleton;

/**
 * Authenticates gRPC calls with the same API keys as REST ({@code authorization: Bearer <key>}
 * metadata) and puts the tenant in the call's {@link Context}. Server reflection stays open so that
 * tools can discover the API without a key.
 */
@GlobalInterceptor
@Singleton
public class ApiKeyInterceptor implements ServerInterceptor {
  /** The authenticated tenant of the current call. */
  public static final Context.Key<Tenant> TENANT = Context.key("mesh.tenant");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ApiKeyAuthenticator authenticator;
  private final RequestMetrics metrics;

  public ApiKeyInterceptor(ApiKeyAuthenticator authenticator, RequestMetrics metrics) {
    this.authenticator = authenticator;
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (service != null && service.startsWith("grpc.reflection.")) {
      return next.startCall(call, headers);
    }
    Tenant tenant;
    try {
      tenant = authenticator.authenticateHeader(headers.get(AUTHORIZATION));
    } catch (MeshException e) {
      metrics.refused(e.code().wireCode());
      StatusRuntimeException status = GrpcErrors.toException(e, 0);
      call.close(status.getStatus(), status.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(TENANT, tenant), call, headers, next);
  }
}
