package dev.coemesh.worker.trace;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Tracing across the gateway → worker gRPC hop: the client interceptor writes the current trace
 * context into the call's metadata ({@code traceparent}, W3C), and the server interceptor reads it
 * into the call's gRPC context, where {@link #callerContext()} finds it on the handler's thread.
 * The same pair serves the plain worker process and the Quarkus prefill/decode apps, so both make
 * the same spans (Quarkus' own gRPC instrumentation is switched off there).
 */
public final class WorkerTracing {
  /** The instrumentation scope of every span the mesh's worker code makes. */
  public static final String SCOPE = "dev.coemesh.worker";

  private static final io.grpc.Context.Key<Context> CALLER = io.grpc.Context.key("otel-caller");

  private static final TextMapSetter<Metadata> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) {
          carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        }
      };

  private static final TextMapGetter<Metadata> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata carrier) {
          return carrier.keys();
        }

        @Override
        public String get(Metadata carrier, String key) {
          return carrier == null
              ? null
              : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
      };

  private static final WorkerTracing NOOP = new WorkerTracing(OpenTelemetry.noop());

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private WorkerTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(SCOPE);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  public static WorkerTracing of(OpenTelemetry openTelemetry) {
    return new WorkerTracing(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  /** Makes no spans and propagates nothing: tracing off. */
  public static WorkerTracing noop() {
    return NOOP;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** The trace context the caller sent with the current server call (root when none). */
  public static Context callerContext() {
    Context caller = CALLER.get();
    return caller == null ? Context.root() : caller;
  }

  /**
   * The trace context an HTTP caller sent ({@code traceparent}, {@code tracestate}), root when
   * none.
   *
   * @param headers the request's headers, names in lower case
   */
  public Context fromHttpHeaders(Map<String, String> headers) {
    return propagator.extract(
        Context.root(),
        headers,
        new TextMapGetter<Map<String, String>>() {
          @Override
          public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
          }

          @Override
          public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
          }
        });
  }

  /** The current trace context as HTTP headers ({@code traceparent}), for calls to upstreams. */
  public Map<String, String> headers() {
    Map<String, String> headers = new HashMap<>();
    propagator.inject(Context.current(), headers, (carrier, key, value) -> carrier.put(key, value));
    return headers;
  }

  /** Sends the current trace context with every call of the channel it is installed on. */
  public ClientInterceptor clientInterceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(
          MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        Context current = Context.current(); // the thread that starts the call holds the span
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<A> listener, Metadata headers) {
            propagator.inject(current, headers, SETTER);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  /** Reads the caller's trace context from each incoming call. */
  public ServerInterceptor serverInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        Context caller = propagator.extract(Context.root(), headers, GETTER);
        return Contexts.interceptCall(
            io.grpc.Context.current().withValue(CALLER, caller), call, headers, next);
      }
    };
  }
}
