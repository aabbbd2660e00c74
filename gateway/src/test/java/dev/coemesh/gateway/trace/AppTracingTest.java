package dev.coemesh.gateway.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.worker.trace.MeshAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The gateway app runs the OpenTelemetry SDK (quarkus-opentelemetry): a chat completion over REST
 * is one trace, the HTTP server span holding the request's GenAI span, which holds the router's.
 */
@QuarkusTest
class AppTracingTest {
  private static final String SECRET = "a purple giraffe named Zed";

  @TestHTTPResource("/")
  URI base;

  @Inject InMemorySpanExporter spans;

  @Test
  void aChatCompletionIsOneTraceFromTheHttpSpanThroughRouting() throws Exception {
    spans.reset();
    HttpResponse<String> response =
        Gateway.post(
            base,
            "/v1/chat/completions",
            Gateway.DEFAULT_KEY,
            """
            {"model": "stories260k", "max_tokens": 8, "temperature": 0, "user": "u-42",
             "messages": [{"role": "user", "content": "Tell me about %s."}]}
            """
                .formatted(SECRET));
    assertEquals(200, response.statusCode(), response.body());

    SpanData request = await(s -> s.getName().equals("chat stories260k"));
    assertTrue(request.getParentSpanContext().isValid(), "the request span has no parent");
    SpanData server = await(s -> s.getSpanId().equals(request.getParentSpanId()));
    List<SpanData> all = spans.getFinishedSpanItems();
    assertEquals(SpanKind.SERVER, server.getKind());
    assertEquals(server.getTraceId(), request.getTraceId());
    assertEquals("chat", request.getAttributes().get(MeshAttributes.OPERATION));
    assertEquals("stories260k", request.getAttributes().get(MeshAttributes.RESPONSE_MODEL));
    assertEquals("colocated", request.getAttributes().get(MeshAttributes.PLACEMENT));
    assertEquals("default", request.getAttributes().get(MeshAttributes.TENANT));
    assertEquals(8L, request.getAttributes().get(MeshAttributes.OUTPUT_TOKENS));
    assertEquals("u-42", request.getAttributes().get(AttributeKey.stringKey("enduser.id")));
    assertTrue(
        all.stream()
            .anyMatch(
                s ->
                    s.getName().equals("router.route")
                        && s.getParentSpanId().equals(request.getSpanId())),
        "the placement is a child of the request");
    for (SpanData span : all) {
      span.getAttributes()
          .forEach(
              (key, value) ->
                  assertFalse(
                      String.valueOf(value).contains("giraffe"),
                      () -> span.getName() + " carries prompt text in " + key));
    }
  }

  /** The first finished span that matches (the HTTP span ends after the response is sent). */
  private SpanData await(Predicate<SpanData> wanted) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until) {
      for (SpanData s : spans.getFinishedSpanItems()) {
        if (wanted.test(s)) {
          return s;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no such span among " + spans.getFinishedSpanItems());
  }
}
