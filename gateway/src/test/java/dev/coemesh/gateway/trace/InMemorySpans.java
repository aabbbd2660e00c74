package dev.coemesh.gateway.trace;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The test app's span exporter: Quarkus exports to every {@code SpanExporter} bean, and the test
 * profile builds no OTLP exporter, so the tests read the app's spans here.
 */
public final class InMemorySpans {
  @Produces
  @Singleton
  InMemorySpanExporter exporter() {
    return InMemorySpanExporter.create();
  }
}
