package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.worker.trace.MeshAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.List;

/**
 * The span of one request through the gateway, named as the GenAI conventions name an inference
 * span ({@code chat stories}, {@code text_completion auto}), under the HTTP or gRPC server span.
 * Routing, placement and the calls to workers are its children; its attributes are the GenAI ones
 * (operation, requested and serving model, request parameters, usage, finish reason) and the mesh's
 * (tenant, category, confidence, expert, placement, replicas). Prompt text only when the operator
 * opted in.
 */
final class RequestSpan {
  /** OpenTelemetry's attribute for the end user a request is made for. */
  static final AttributeKey<String> END_USER = AttributeKey.stringKey("enduser.id");

  private static final AttributeKey<String> PREFILL_REPLICA =
      AttributeKey.stringKey("coemesh.replica.prefill");

  private final Span span;

  private RequestSpan(Span span) {
    this.span = span;
  }

  /**
   * Starts the span under the current one (the protocol's server span), before any work.
   *
   * @param operation {@code chat} or {@code text_completion}, as the request metrics name it
   */
  static RequestSpan start(Tracer tracer, Tenant tenant, ClientRequest request, String operation) {
    String model = request.model() == null ? ClientRequest.AUTO : request.model();
    Span span =
        tracer
            .spanBuilder(operation + " " + model)
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(Context.current())
            .setAttribute(MeshAttributes.OPERATION, operation)
            .setAttribute(MeshAttributes.PROVIDER, MeshAttributes.PROVIDER_NAME)
            .setAttribute(MeshAttributes.REQUEST_MODEL, model)
            .setAttribute(MeshAttributes.TENANT, tenant.id().value())
            .setAttribute(MeshAttributes.TEMPERATURE, request.temperature())
            .setAttribute(MeshAttributes.TOP_P, request.topP())
            .startSpan();
    if (request.maxTokens() > 0) {
      span.setAttribute(MeshAttributes.MAX_TOKENS, (long) request.maxTokens());
    }
    if (request.seed() != null) {
      span.setAttribute(MeshAttributes.SEED, request.seed());
    }
    if (request.endUser() != null) {
      span.setAttribute(END_USER, request.endUser());
    }
    return new RequestSpan(span);
  }

  /** Makes the request's span current, so that the router's and the workers' spans nest in it. */
  Scope makeCurrent() {
    return span.makeCurrent();
  }

  /** Step 1 is done: the expert, why, and the prompt as tokenized. */
  void routed(ExpertChoice choice, int promptTokens, SamplingParams sampling) {
    span.setAttribute(MeshAttributes.RESPONSE_MODEL, choice.expert().value());
    span.setAttribute(MeshAttributes.EXPERT, choice.expert().value());
    span.setAttribute(
        MeshAttributes.CATEGORY, choice.category() == null ? "none" : choice.category());
    span.setAttribute(MeshAttributes.CONFIDENCE, Math.round(choice.confidence() * 100) / 100.0);
    span.setAttribute(MeshAttributes.INPUT_TOKENS, (long) promptTokens);
    span.setAttribute(MeshAttributes.MAX_TOKENS, (long) sampling.maxTokens());
  }

  /** The fair scheduler admitted it and the router placed it (step 2). */
  void placed(Placement placement) {
    span.addEvent("admitted");
    switch (placement) {
      case Placement.Upstream u -> span.setAttribute(MeshAttributes.PLACEMENT, "upstream");
      case Placement.Colocated c -> {
        span.setAttribute(MeshAttributes.PLACEMENT, "colocated");
        span.setAttribute(MeshAttributes.REPLICA, c.replica().toString());
      }
      case Placement.Disaggregated d -> {
        span.setAttribute(MeshAttributes.PLACEMENT, "disaggregated");
        span.setAttribute(PREFILL_REPLICA, d.prefill().toString());
        span.setAttribute(MeshAttributes.REPLICA, d.decode().toString());
      }
    }
  }

  /** The rendered prompt, for an operator who opted in to prompt capture. */
  void prompt(String prompt) {
    span.setAttribute(MeshAttributes.PROMPT, prompt);
  }

  void firstToken() {
    span.addEvent("first_token");
  }

  void usage(Usage usage) {
    span.setAttribute(MeshAttributes.INPUT_TOKENS, (long) usage.promptTokens());
    span.setAttribute(MeshAttributes.OUTPUT_TOKENS, (long) usage.completionTokens());
  }

  /**
   * Ends the span with the request's outcome: a finish reason, or (when {@code failed}) a wire
   * error code.
   */
  void end(String outcome, boolean failed) {
    if (!failed) {
      span.setAttribute(MeshAttributes.FINISH_REASONS, List.of(outcome));
    } else {
      span.setAttribute(MeshAttributes.ERROR_TYPE, outcome);
      span.setStatus(StatusCode.ERROR, outcome);
    }
    span.end();
  }
}
