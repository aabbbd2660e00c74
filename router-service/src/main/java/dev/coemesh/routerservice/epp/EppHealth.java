package dev.coemesh.routerservice.epp;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * The gRPC health services the endpoint picker protocol names: the ext_proc service, {@code
 * liveness} and {@code readiness}, SERVING once the app (and so the router, trained at start-up) is
 * up. The router needs no leader election: every replica of this service decides alike.
 */
@Startup
@Singleton
public class EppHealth {
  public static final String EXT_PROC_SERVICE = "envoy.service.ext_proc.v3.ExternalProcessor";

  public EppHealth(GrpcHealthStorage health) {
    for (String service : new String[] {EXT_PROC_SERVICE, "liveness", "readiness"}) {
      health.setStatus(service, ServingStatus.SERVING);
    }
  }
}
