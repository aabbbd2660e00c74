package dev.coemesh.worker.trace;

import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Tracing in the Quarkus worker apps (prefill-service, decode-service, which index this module):
 * the same spans as the plain worker process, from the app's OpenTelemetry SDK. Quarkus' own gRPC
 * instrumentation is off there ({@code quarkus.otel.instrument.grpc=false}), so each call has one
 * server span, the handler's.
 */
@Singleton
public final class WorkerTracingBeans {
  @Produces
  @Singleton
  WorkerTracing tracing(OpenTelemetry openTelemetry) {
    return WorkerTracing.of(openTelemetry);
  }

  /** On every gRPC service of the app: reads the caller's trace context from the metadata. */
  @Produces
  @Singleton
  @GlobalInterceptor
  ServerInterceptor traceContext(WorkerTracing tracing) {
    return tracing.serverInterceptor();
  }
}
