package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.router.RouteReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's request and routing metrics; the catalogue, with Prometheus names and label values,
 * is observability/METRICS.md. Labels come from closed or configured sets only: expert ids (the
 * routing config), tenant ids (configured tenants), categories (the routing config), outcomes
 * (finish reasons and error codes).
 *
 * <p>Latency and token distributions follow the OpenTelemetry GenAI semantic conventions (names,
 * attributes and their recommended bucket boundaries): {@code gen_ai.server.time_to_first_token},
 * {@code gen_ai.server.time_per_output_token}, {@code gen_ai.server.request.duration} and {@code
 * gen_ai.client.token.usage}, tagged {@code gen_ai.operation.name} (chat | text_completion) and
 * {@code gen_ai.request.model} (the expert that served it, {@code none} before one was chosen). The
 * mesh's own: {@code mesh.gateway.requests{expert,outcome}} (also requests refused at the front
 * door, {@code expert="none"}), {@code mesh.gateway.tokens{expert,tenant,type}}, {@code
 * mesh.gateway.inflight}, {@code mesh.routing.decisions{category,expert,placement}} and {@code
 * mesh.routing.confidence{category}}.
 */
public final class RequestMetrics {
  /** The GenAI operation of a completion request ({@code gen_ai.operation.name}). */
  static final String TEXT_COMPLETION = "text_completion";

  /** The GenAI operation of a chat request. */
  static final String CHAT = "chat";

  private static final Duration[] TTFT_BUCKETS =
      seconds(
          0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
          10.0);
  private static final Duration[] TPOT_BUCKETS =
      seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5);
  private static final Duration[] DURATION_BUCKETS =
      seconds(
          0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92);
  private static final double[] TOKEN_BUCKETS = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
  };
  private static final double[] CONFIDENCE_BUCKETS = {
    0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0
  };

  private final MeterRegistry registry;
  private final AtomicInteger inflight = new AtomicInteger();

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("mesh.gateway.inflight", inflight);
  }

  void started() {
    inflight.incrementAndGet();
  }

  /**
   * A request ended: {@code outcome} is its finish reason or error code, {@code error} the error
   * that ended it or null when it finished (a client's cancel included).
   */
  void ended(ExpertId expert, String operation, String outcome, ErrorCode error, long nanos) {
    inflight.decrementAndGet();
    count(expert, outcome);
    Timer.builder("gen_ai.server.request.duration")
        .description("time from the request's arrival to its last token or error")
        .tag("gen_ai.operation.name", operation)
        .tag("gen_ai.request.model", model(expert))
        .tag("error.type", error == null ? "" : error.wireCode())
        .serviceLevelObjectives(DURATION_BUCKETS)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  private void count(ExpertId expert, String outcome) {
    Counter.builder("mesh.gateway.requests")
        .tag("expert", model(expert))
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** A request refused before it reached the orchestrator, with its error code as outcome. */
  public void refused(String outcome) {
    count(null, outcome);
  }

  void firstToken(ExpertId expert, String operation, long nanos) {
    Timer.builder("gen_ai.server.time_to_first_token")
        .description("time from the request's arrival to its first output token")
        .tag("gen_ai.operation.name", operation)
        .tag("gen_ai.request.model", expert.value())
        .serviceLevelObjectives(TTFT_BUCKETS)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  /**
   * A request finished with {@code usage}; {@code afterFirstNanos} is the time from its first token
   * to its last, spread over the tokens after the first (no time per output token with fewer than
   * two).
   */
  void finished(
      ExpertId expert, String operation, TenantId tenant, Usage usage, long afterFirstNanos) {
    tokens(expert, operation, tenant, "input", usage.promptTokens());
    tokens(expert, operation, tenant, "output", usage.completionTokens());
    if (usage.completionTokens() > 1 && afterFirstNanos >= 0) {
      Timer.builder("gen_ai.server.time_per_output_token")
          .description("time per output token after the first")
          .tag("gen_ai.operation.name", operation)
          .tag("gen_ai.request.model", expert.value())
          .serviceLevelObjectives(TPOT_BUCKETS)
          .register(registry)
          .record(Duration.ofNanos(afterFirstNanos / (usage.completionTokens() - 1)));
    }
  }

  private void tokens(ExpertId expert, String operation, TenantId tenant, String type, int n) {
    Counter.builder("mesh.gateway.tokens")
        .description("tokens charged: the prompt (input) and the generated tokens (output)")
        .tag("expert", expert.value())
        .tag("tenant", tenant.value())
        .tag("type", type)
        .register(registry)
        .increment(n);
    DistributionSummary.builder("gen_ai.client.token.usage")
        .description("tokens per request, input or output")
        .tag("gen_ai.operation.name", operation)
        .tag("gen_ai.request.model", expert.value())
        .tag("gen_ai.token.type", type)
        .serviceLevelObjectives(TOKEN_BUCKETS)
        .register(registry)
        .record(n);
  }

  /**
   * The router chose {@code choice}'s expert; a classifier's choice (classified, or below the
   * threshold and sent to the fallback) records its confidence, for drift.
   */
  void routed(ExpertChoice choice) {
    if (choice.reason() != RouteReason.CLASSIFIED
        && choice.reason() != RouteReason.LOW_CONFIDENCE) {
      return;
    }
    DistributionSummary.builder("mesh.routing.confidence")
        .description("the classifier's probability of the category it chose, per decision")
        .tag("category", category(choice))
        .serviceLevelObjectives(CONFIDENCE_BUCKETS)
        .register(registry)
        .record(choice.confidence());
  }

  /** The request was placed ({@code placement} null: no replica could take it). */
  void placed(ExpertChoice choice, Placement placement) {
    String kind =
        placement == null
            ? "none"
            : switch (placement) {
              case Placement.Upstream u -> "upstream";
              case Placement.Colocated c -> "colocated";
              case Placement.Disaggregated d -> "disaggregated";
            };
    Counter.builder("mesh.routing.decisions")
        .description("requests routed and placed, by category, expert and placement kind")
        .tag("category", category(choice))
        .tag("expert", choice.expert().value())
        .tag("placement", kind)
        .register(registry)
        .increment();
  }

  /** Requests that have arrived and not yet ended (queued, running or streaming). */
  public int inflight() {
    return inflight.get();
  }

  private static String model(ExpertId expert) {
    return expert == null ? "none" : expert.value();
  }

  private static String category(ExpertChoice choice) {
    return choice.category() == null ? "none" : choice.category();
  }

  private static Duration[] seconds(double... bounds) {
    Duration[] out = new Duration[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      out[i] = Duration.ofNanos(Math.round(bounds[i] * 1e9));
    }
    return out;
  }
}
