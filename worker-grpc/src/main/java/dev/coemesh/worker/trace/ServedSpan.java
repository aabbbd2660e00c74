package dev.coemesh.worker.trace;

import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.worker.FallbackReason;
import dev.coemesh.pool.worker.KvHandoff;
import dev.coemesh.pool.worker.PrefillResult;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * The span of one worker call ({@code prefill}, {@code decode} or {@code generate}), a child of the
 * caller's span, with its stages as children: on prefill {@code engine.prefill}, {@code kv.encode}
 * and {@code kv.store}; on decode {@code kv.fetch} and {@code kv.decode}; and the decode steps as
 * one {@code decode.steps} span whose events mark the first token and every {@value #EVENT_EVERY}th
 * one (never a span per token). Stage spans are laid out from the stage times the worker measures
 * (their durations are the measured ones; stages that overlap in the pipeline are drawn one after
 * the other).
 *
 * <p>Events of one call arrive in order from one thread at a time (the engine's contract).
 */
public final class ServedSpan {
  /** A token event on {@code decode.steps} every this many tokens, within the SDK's event cap. */
  static final int EVENT_EVERY = 16;

  private static final AttributeKey<Long> TOKEN_INDEX = AttributeKey.longKey("coemesh.token.index");

  private final Tracer tracer;
  private final Span span;
  private final Instant start;
  private Span steps;
  private int tokens;

  private ServedSpan(Tracer tracer, Span span, Instant start) {
    this.tracer = tracer;
    this.span = span;
    this.start = start;
  }

  /**
   * Starts the span of the current server call, under the caller's trace context.
   *
   * @param role prefill, decode or colocated
   * @param resumed tokens the client already had (a failover resumes after them)
   */
  public static ServedSpan start(
      WorkerTracing tracing, String operation, String role, String tenant, int resumed) {
    Instant now = Instant.now();
    Span span =
        tracing
            .tracer()
            .spanBuilder("worker." + operation)
            .setSpanKind(SpanKind.SERVER)
            .setParent(WorkerTracing.callerContext())
            .setStartTimestamp(now)
            .setAttribute(MeshAttributes.ROLE, role)
            .setAttribute(MeshAttributes.TENANT, tenant)
            .setAttribute(MeshAttributes.RESUMED_TOKENS, (long) resumed)
            .startSpan();
    return new ServedSpan(tracing.tracer(), span, now);
  }

  /** The prompt's length as the worker received it. */
  public void prompt(int tokens) {
    span.setAttribute(MeshAttributes.INPUT_TOKENS, (long) tokens);
  }

  /** A generated token: opens {@code decode.steps} at the first and marks every few. */
  public void token(TokenEvent.Token token) {
    if (steps == null) {
      steps = child("decode.steps").startSpan();
      steps.addEvent("first_token", Attributes.of(TOKEN_INDEX, (long) token.index()));
    } else if (++tokens % EVENT_EVERY == 0) {
      steps.addEvent("tokens", Attributes.of(TOKEN_INDEX, (long) token.index()));
    }
  }

  /** Decode recomputes the prompt instead of using the handed-over KV. */
  public void fallback(FallbackReason reason) {
    span.setAttribute(MeshAttributes.FALLBACK_REASON, reason.name().toLowerCase(Locale.ROOT));
  }

  /**
   * Prefill answered: its engine, codec and store stages, and what shipped.
   *
   * @param bytesPerValue the engine's KV precision, for the raw size of what was encoded
   */
  public void prefilled(PrefillResult result, int bytesPerValue) {
    Instant t = stage("engine.prefill", start, result.prefillMs());
    if (result.handle() != null) {
      span.setAttribute(MeshAttributes.CODEC_LEVEL, Integer.toString(result.handle().level()));
      span.setAttribute(MeshAttributes.KV_TOKENS, (long) result.handle().tokens());
      span.setAttribute(MeshAttributes.KV_CHUNKS, (long) result.handle().chunks());
      if (result.kv() instanceof KvHandoff.Stored stored && stored.encodedBytes() > 0) {
        span.setAttribute(MeshAttributes.KV_BYTES_RAW, stored.values() * bytesPerValue);
        span.setAttribute(MeshAttributes.KV_BYTES_ENCODED, stored.encodedBytes());
      }
      t = stage("kv.encode", t, result.encodeMs());
      stage("kv.store", t, result.storeMs());
    } else if (result.kv() != null) {
      span.setAttribute(MeshAttributes.CODEC_LEVEL, "text");
    }
    if (result.first() != null) {
      span.addEvent("first_token");
    }
    span.end();
  }

  /** The call's terminal event: usage, finish reason, the KV stages of a decode; ends the span. */
  public void finished(TokenEvent.Finished finished) {
    RequestTimings timings = finished.timings();
    Instant t = stage("kv.fetch", start, timings.kvTransferMs());
    stage("kv.decode", t, timings.kvDecodeMs());
    span.setAttribute(MeshAttributes.OUTPUT_TOKENS, (long) finished.usage().completionTokens());
    span.setAttribute(MeshAttributes.FINISH_REASONS, List.of(finished.reason().wireName()));
    endSteps();
    span.end();
  }

  /** The call failed: the span carries the error and ends. */
  public void failed(String errorType, String message) {
    span.setAttribute(MeshAttributes.ERROR_TYPE, errorType);
    span.setStatus(StatusCode.ERROR, message);
    endSteps();
    span.end();
  }

  private void endSteps() {
    if (steps != null) {
      steps.setAttribute(MeshAttributes.OUTPUT_TOKENS, (long) tokens + 1);
      steps.end();
    }
  }

  /** A stage span from {@code from} lasting {@code ms}; nothing for a stage that did not run. */
  private Instant stage(String name, Instant from, double ms) {
    if (Double.isNaN(ms) || ms <= 0) {
      return from;
    }
    Instant to = from.plus((long) (ms * 1_000_000), ChronoUnit.NANOS);
    child(name).setStartTimestamp(from).startSpan().end(to);
    return to;
  }

  private io.opentelemetry.api.trace.SpanBuilder child(String name) {
    return tracer.spanBuilder(name).setParent(Context.root().with(span));
  }
}
