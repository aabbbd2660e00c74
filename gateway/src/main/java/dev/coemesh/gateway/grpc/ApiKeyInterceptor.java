package dev.coemesh.gateway.grpc;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.auth.TenantDirectory;
import dev.coemesh.gateway.auth.TenantTable;
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
 * metadata) and puts the tenant in the call's {@link Context}, with the call's priority class from
 * the same metadata as REST's headers ({@code x-mesh-priority}, {@code
 * x-gateway-inference-objective}; an unknown value is {@code INVALID_ARGUMENT}). Server reflection
 * stays open so that tools can discover the API without a key.
 */
@GlobalInterceptor
@Singleton
public class ApiKeyInterceptor implements ServerInterceptor {
  /** The authenticated tenant of the current call. */
  public static final Context.Key<Tenant> TENANT = Context.key("mesh.tenant");

  /** The priority class of the current call. */
  public static final Context.Key<Priority> PRIORITY = Context.key("mesh.priority");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PRIORITY_KEY =
      Metadata.Key.of(TenantTable.PRIORITY_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> OBJECTIVE_KEY =
      Metadata.Key.of(TenantTable.OBJECTIVE_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final TenantDirectory tenants;
  private final RequestMetrics metrics;

  public ApiKeyInterceptor(TenantDirectory tenants, RequestMetrics metrics) {
    this.tenants = tenants;
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
    Priority priority;
    try {
      TenantTable table = tenants.table();
      tenant = table.authenticator().authenticateHeader(headers.get(AUTHORIZATION));
      priority = table.priority(tenant, headers.get(PRIORITY_KEY), headers.get(OBJECTIVE_KEY));
    } catch (MeshException e) {
      metrics.refused(e.code().wireCode());
      StatusRuntimeException status = GrpcErrors.toException(e, 0);
      call.close(status.getStatus(), status.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(TENANT, tenant).withValue(PRIORITY, priority),
        call,
        headers,
        next);
  }
}
