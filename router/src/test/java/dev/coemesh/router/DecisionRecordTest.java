package dev.coemesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.router.classify.SharedEmbedder;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DecisionRecordTest {
  @Test
  void eachDecisionBecomesSpanAttributesAndARoutingSignal() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
    BlockingQueue<SignalEvent.RoutingDecision> signals = new ArrayBlockingQueue<>(8);
    try (InProcessSignalBus bus = new InProcessSignalBus(64);
        Router router =
            Router.builder(
                    RoutingConfigLoader.parse("s.yaml", RouterTest.SMALL), SharedEmbedder.get())
                .signalBus(bus)
                .openTelemetry(otel)
                .buildSubscribed()) { // the load report below reaches it through the bus
      bus.subscribe(SignalEvent.RoutingDecision.class, signals::add);
      assertTrue(
          router.summary().matches("\\d+ categories, \\d+ experts, fallback .+; classifier .+"));
      bus.publish(
          new SignalEvent.LoadReport(
              new dev.coemesh.core.expert.ReplicaId(
                  RouterTest.STORIES, ReplicaRole.COLOCATED, "s1"),
              3,
              1,
              250,
              750,
              0,
              0,
              0));
      RouteDecision d = null;
      for (int i = 0; i < 200 && d == null; i++) { // the bus delivers the load report async
        try {
          d = router.route(RouteRequest.of("req-42", "Hi there, how are you?"));
        } catch (MeshException e) {
          Thread.sleep(10);
        }
      }
      spans.reset();
      signals.clear();
      d = router.route(RouteRequest.of("req-43", "Hi there, how are you?"));

      SpanData span = spans.getFinishedSpanItems().getFirst();
      assertEquals("router.route", span.getName());
      assertEquals(
          "chat", span.getAttributes().get(AttributeKey.stringKey("coemesh.route.category")));
      assertEquals(
          "stories", span.getAttributes().get(AttributeKey.stringKey("coemesh.route.expert")));
      assertEquals(
          "classified", span.getAttributes().get(AttributeKey.stringKey("coemesh.route.reason")));
      assertEquals(
          "colocated", span.getAttributes().get(AttributeKey.stringKey("coemesh.route.mode")));
      assertEquals("none", span.getAttributes().get(AttributeKey.stringKey("coemesh.route.tier")));
      assertEquals(
          "colocated",
          span.getAttributes().get(AttributeKey.stringKey("coemesh.route.replica_role")));
      assertEquals(
          0.75,
          span.getAttributes().get(AttributeKey.doubleKey("coemesh.route.score.kv-utilisation")));
      assertEquals(
          DecisionRecorder.round2(d.confidence()),
          span.getAttributes().get(AttributeKey.doubleKey("coemesh.route.confidence")));
      assertNull(
          span.getAttributes().get(AttributeKey.stringKey("coemesh.route.replica")),
          "replica instances are not span attributes (unbounded cardinality)");

      // the bus delivers asynchronously: an earlier request's decision may still arrive after the
      // clear above, so skip to this one's
      SignalEvent.RoutingDecision signal = signals.poll(5, TimeUnit.SECONDS);
      while (signal != null && !"req-43".equals(signal.requestId())) {
        signal = signals.poll(5, TimeUnit.SECONDS);
      }
      assertNotNull(signal, "req-43's decision was published");
      assertEquals("req-43", signal.requestId());
      assertEquals("chat", signal.category());
      assertEquals("stories", signal.expert());
      assertEquals("stories/colocated/s1", signal.replica());
      assertEquals("colocated", signal.mode());
      assertEquals("classified", signal.reason());
      assertEquals(d.confidence(), signal.confidence());
      assertEquals(
          Map.of(
              "load", 1.0, "kv-utilisation", 0.75, "prefix-affinity", 0.0, "session-affinity", 0.0),
          signal.scores());

      spans.reset();
      assertThrows(
          MeshException.class, () -> router.route(RouteRequest.of("r", "hi").withModel("nope")));
      SpanData failed = spans.getFinishedSpanItems().getFirst();
      assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
      assertEquals(
          "model_not_found",
          failed.getAttributes().get(AttributeKey.stringKey("coemesh.route.error")));
      assertEquals(List.of(), List.copyOf(signals), "a failed decision publishes no decision");
    }
  }
}
