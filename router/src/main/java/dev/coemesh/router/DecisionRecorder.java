package dev.coemesh.router;

import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;

/**
 * Turns each decision into span attributes and a {@code mesh.routing} signal, so routing quality
 * can be evaluated offline. Span attributes carry only low-cardinality values: names from the
 * config (category, expert, scorer), closed sets (reason, mode, tier, role) and numbers rounded to
 * two decimals; never request ids, replica instances or prompt text (those go to the signal only,
 * which is keyed for offline joins).
 */
final class DecisionRecorder {
  static final String SPAN_NAME = "router.route";
  static final String CLASSIFY_SPAN_NAME = "router.classify";
  static final AttributeKey<String> CATEGORY = AttributeKey.stringKey("coemesh.route.category");
  static final AttributeKey<Double> CONFIDENCE = AttributeKey.doubleKey("coemesh.route.confidence");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("coemesh.route.reason");
  static final AttributeKey<String> EXPERT = AttributeKey.stringKey("coemesh.route.expert");
  static final AttributeKey<String> MODE = AttributeKey.stringKey("coemesh.route.mode");
  static final AttributeKey<String> TIER = AttributeKey.stringKey("coemesh.route.tier");
  static final AttributeKey<String> ROLE = AttributeKey.stringKey("coemesh.route.replica_role");
  static final AttributeKey<String> ERROR = AttributeKey.stringKey("coemesh.route.error");
  static final String SCORE_PREFIX = "coemesh.route.score.";

  private final SignalBus bus;
  private final Clock clock;

  /**
   * @param bus where decisions are published, or null to publish none
   */
  DecisionRecorder(SignalBus bus, Clock clock) {
    this.bus = bus;
    this.clock = clock;
  }

  void record(Span span, RouteDecision d) {
    span.setAttribute(CATEGORY, d.category() == null ? "none" : d.category());
    span.setAttribute(CONFIDENCE, round2(d.confidence()));
    span.setAttribute(REASON, d.reason().label());
    span.setAttribute(EXPERT, d.expert().value());
    span.setAttribute(MODE, lower(d.mode()));
    span.setAttribute(TIER, d.tier() == null ? "none" : lower(d.tier()));
    span.setAttribute(ROLE, d.replica() == null ? "upstream" : lower(d.replica().role()));
    for (Map.Entry<String, Double> e : d.scores().entrySet()) {
      span.setAttribute(AttributeKey.doubleKey(SCORE_PREFIX + e.getKey()), round2(e.getValue()));
    }
    if (bus != null) {
      bus.publish(
          new SignalEvent.RoutingDecision(
              d.requestId(),
              d.category(),
              d.confidence(),
              d.expert().value(),
              d.replica() == null ? null : d.replica().toString(),
              lower(d.mode()),
              d.reason().label(),
              d.scores(),
              clock.millis()));
    }
  }

  /** Step 1's outcome on its span: the category, confidence, reason and expert. */
  static void recordChoice(Span span, ExpertChoice choice) {
    span.setAttribute(CATEGORY, choice.category() == null ? "none" : choice.category());
    span.setAttribute(CONFIDENCE, round2(choice.confidence()));
    span.setAttribute(REASON, choice.reason().label());
    span.setAttribute(EXPERT, choice.expert().value());
  }

  static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
