package dev.coemesh.worker.trace;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;

/**
 * The plain worker process's OpenTelemetry SDK, configured the standard way ({@code OTEL_*}
 * environment variables or {@code otel.*} system properties), with the mesh's defaults: off unless
 * {@code OTEL_SDK_DISABLED=false}, and then spans only (metrics are scraped from {@code
 * /q/metrics}, logs go to stderr). With it on, {@code OTEL_EXPORTER_OTLP_ENDPOINT} says where spans
 * go and {@code OTEL_TRACES_SAMPLER} how many (a worker follows the gateway's decision by default:
 * parent-based).
 */
public final class WorkerTelemetry {
  private static final Map<String, String> DEFAULTS =
      Map.of(
          "otel.sdk.disabled", "true",
          "otel.metrics.exporter", "none",
          "otel.logs.exporter", "none",
          "otel.traces.sampler", "parentbased_always_on",
          // OTLP over HTTP: the worker ships the JDK HTTP sender, not a gRPC one
          "otel.exporter.otlp.protocol", "http/protobuf");

  private WorkerTelemetry() {}

  /** The SDK for a worker named {@code service} (its {@code service.name} unless set). */
  public static OpenTelemetrySdk fromEnvironment(String service) {
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> DEFAULTS)
        .addPropertiesSupplier(() -> Map.of("otel.service.name", service))
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }
}
