package dev.coemesh.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.Json;
import dev.coemesh.pool.openai.ModelList;
import dev.coemesh.worker.trace.WorkerTracing;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.opentelemetry.context.Scope;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The plain worker's HTTP port: its Prometheus meters, its readiness, and, unless it is a prefill
 * worker, the OpenAI API ({@link OpenAiService}), so that the pod is an endpoint of a Gateway API
 * Inference Extension {@code InferencePool} at this port.
 *
 * <ul>
 *   <li>{@code GET /q/metrics}: the registry's Prometheus text (the path the Quarkus apps use),
 *       also at {@code /metrics}, where an InferencePool's reference endpoint picker scrapes its
 *       pods
 *   <li>{@code GET /health/ready}: 200, or 503 once the worker drains; {@code GET /health/live}
 *   <li>{@code POST /v1/completions}, {@code POST /v1/chat/completions}, {@code GET /v1/models}
 * </ul>
 *
 * Anything else is OpenAI's 404 {@code unknown_url}; a served path with another method a 405 with
 * {@code Allow}. One Vert.x event loop does the I/O; bodies are read up to a limit (413 beyond it),
 * parsed and tokenized on a worker thread, and generated on the worker's engine.
 */
public final class WorkerHttp implements AutoCloseable {
  /** The Prometheus text format a scrape answers with. */
  static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final System.Logger LOG = System.getLogger(WorkerHttp.class.getName());

  private static final Map<String, ApiKind> GENERATION =
      Map.of("/v1/completions", ApiKind.COMPLETION, "/v1/chat/completions", ApiKind.CHAT);

  private final Vertx vertx;
  private final HttpServer server;
  private final Routes routes;

  private WorkerHttp(Vertx vertx, HttpServer server, Routes routes) {
    this.vertx = vertx;
    this.server = server;
    this.routes = routes;
  }

  /**
   * Binds {@code host:port} (0: a free port, see {@link #port()}) and serves until closed.
   *
   * @param api the OpenAI API, or null to serve only metrics and health
   * @param maxBodyBytes the largest request body accepted
   * @throws IllegalStateException when the port cannot be bound
   */
  public static WorkerHttp start(
      PrometheusMeterRegistry registry,
      OpenAiService api,
      WorkerTracing tracing,
      String host,
      int port,
      int maxBodyBytes) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
    Routes routes = new Routes(vertx, registry, api, tracing, maxBodyBytes);
    try {
      HttpServer server =
          vertx
              // HTTP/1.1 only, as Prometheus scrapes and Envoy forwards to endpoints: a client's
              // h2c upgrade is declined rather than answered over HTTP/2
              .createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
              .requestHandler(routes::handle)
              .listen(port, host)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      return new WorkerHttp(vertx, server, routes);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException(
          "cannot serve HTTP on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** From now on readiness is 503 and new API requests are refused with 503; running ones go on. */
  public void drain() {
    routes.draining = true;
  }

  /** Waits up to {@code timeout} for the API requests in flight to end; whether they did. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (routes.inFlight.get() > 0) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS);
  }

  /** The request handler; its state is read by the shutdown hook. */
  private static final class Routes {
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final OpenAiService api;
    private final WorkerTracing tracing;
    private final int maxBodyBytes;
    private final ObjectMapper json = new ObjectMapper();
    private final long started = System.currentTimeMillis() / 1000;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    Routes(
        Vertx vertx,
        PrometheusMeterRegistry registry,
        OpenAiService api,
        WorkerTracing tracing,
        int maxBodyBytes) {
      this.vertx = vertx;
      this.registry = registry;
      this.api = api == null || !api.serves() ? null : api;
      this.tracing = tracing;
      this.maxBodyBytes = maxBodyBytes;
    }

    void handle(HttpServerRequest request) {
      HttpServerResponse response = request.response();
      String path = request.path();
      HttpMethod method = request.method();
      switch (path) {
        case "/q/metrics", "/metrics" -> {
          if (get(request, "GET")) {
            response.putHeader("content-type", METRICS_TYPE).end(registry.scrape());
          }
        }
        case "/health/ready" -> {
          if (get(request, "GET")) {
            response
                .setStatusCode(draining ? 503 : 200)
                .putHeader("content-type", "application/json")
                .end(draining ? "{\"status\":\"DOWN\"}" : "{\"status\":\"UP\"}");
          }
        }
        case "/health/live" -> {
          if (get(request, "GET")) {
            response.putHeader("content-type", "application/json").end("{\"status\":\"UP\"}");
          }
        }
        case "/v1/models" -> {
          if (api == null) {
            noApi(request);
          } else if (get(request, "GET")) {
            ModelList list =
                new ModelList(
                    "list",
                    List.of(new ModelList.Model(api.expert(), "model", started, "coemesh")));
            response.putHeader("content-type", "application/json").end(Json.write(json, list));
          }
        }
        default -> {
          ApiKind kind = GENERATION.get(path);
          if (kind == null) {
            HttpErrors.unknownUrl(
                response,
                json,
                "Unknown request URL: " + method + " " + abbreviated(path) + served());
          } else if (api == null) {
            noApi(request);
          } else if (method != HttpMethod.POST) {
            HttpErrors.methodNotAllowed(response, json, method.name(), path, "POST");
          } else {
            generate(request, kind);
          }
        }
      }
    }

    /** Whether the request is a GET (or HEAD); answers 405 otherwise. */
    private boolean get(HttpServerRequest request, String allow) {
      if (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) {
        return true;
      }
      HttpErrors.methodNotAllowed(
          request.response(), json, request.method().name(), request.path(), allow);
      return false;
    }

    private void noApi(HttpServerRequest request) {
      HttpErrors.unknownUrl(
          request.response(),
          json,
          "Unknown request URL: "
              + request.method()
              + " "
              + request.path()
              + " (a prefill worker serves no OpenAI API; send it to a colocated or decode worker)");
    }

    private String served() {
      return api == null
          ? " (this worker serves GET /q/metrics, /metrics, /health/ready, /health/live)"
          : " (this worker serves POST /v1/completions, POST /v1/chat/completions, GET"
              + " /v1/models, GET /q/metrics, /metrics, /health/ready, /health/live)";
    }

    /** Reads the body up to the limit, then prepares and runs the request. */
    private void generate(HttpServerRequest request, ApiKind kind) {
      HttpServerResponse response = request.response();
      if (draining) {
        HttpErrors.write(response, json, HttpErrors.draining());
        return;
      }
      String length = request.getHeader("content-length");
      if (length != null && declared(length) > maxBodyBytes) {
        response.putHeader("connection", "close");
        HttpErrors.write(response, json, tooLarge());
        return;
      }
      Exchange exchange = new Exchange(request, kind);
      inFlight.incrementAndGet();
      response.endHandler(v -> exchange.release());
      response.closeHandler(v -> exchange.gone());
      request.exceptionHandler(e -> exchange.gone());
      Buffer body = Buffer.buffer();
      AtomicBoolean refused = new AtomicBoolean();
      request.handler(
          chunk -> {
            if (refused.get()) {
              return;
            }
            if (body.length() + chunk.length() > maxBodyBytes) {
              refused.set(true);
              response.putHeader("connection", "close");
              HttpErrors.write(response, json, tooLarge());
              return;
            }
            body.appendBuffer(chunk);
          });
      request.endHandler(
          v -> {
            if (!refused.get()) {
              exchange.start(body.getBytes());
            }
          });
    }

    private MeshException tooLarge() {
      return new MeshException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "The request body exceeds the limit of " + maxBodyBytes + " bytes");
    }

    private static long declared(String length) {
      try {
        return Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        return -1; // Vert.x refuses a malformed length itself
      }
    }

    private static String abbreviated(String path) {
      return path.length() > 128 ? path.substring(0, 128) + "..." : path;
    }

    /** One API request: its generation, cancelled when the client goes, and its in-flight slot. */
    private final class Exchange {
      private final HttpServerRequest request;
      private final ApiKind kind;
      private final Context context = Vertx.currentContext();
      private final AtomicBoolean released = new AtomicBoolean();
      private final AtomicReference<ExpertBackend.Generation> running = new AtomicReference<>();

      Exchange(HttpServerRequest request, ApiKind kind) {
        this.request = request;
        this.kind = kind;
      }

      void start(byte[] body) {
        HttpServerResponse response = request.response();
        String prefill = request.getHeader(OpenAiService.PREFILL_HEADER);
        Map<String, String> headers = new HashMap<>();
        request
            .headers()
            .forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        io.opentelemetry.context.Context trace = tracing.fromHttpHeaders(headers);
        vertx
            .<OpenAiService.Prepared>executeBlocking(() -> api.prepare(kind, body, prefill), false)
            .onComplete(
                prepared -> {
                  if (prepared.failed()) {
                    HttpErrors.write(response, json, mesh(prepared.cause()));
                    return;
                  }
                  if (response.closed()) {
                    release();
                    return;
                  }
                  HttpResponder responder =
                      new HttpResponder(response, context, json, prepared.result());
                  try (Scope ignored = trace.makeCurrent()) {
                    started(api.run(prepared.result(), responder));
                  } catch (RuntimeException e) {
                    responder.failed(mesh(e));
                  }
                });
      }

      private void started(ExpertBackend.Generation generation) {
        if (!running.compareAndSet(null, generation)) {
          generation.cancel(); // the client left while it started
        }
      }

      /** The client closed the connection: cancel the generation, free the slot. */
      void gone() {
        ExpertBackend.Generation g = running.getAndSet(() -> {});
        if (g != null) {
          g.cancel();
        }
        release();
      }

      void release() {
        if (released.compareAndSet(false, true)) {
          inFlight.decrementAndGet();
        }
      }
    }

    /** The client's error as is; anything else an internal error that reveals nothing. */
    private static MeshException mesh(Throwable t) {
      return switch (t) {
        case MeshException e -> e;
        case IllegalArgumentException e -> MeshException.invalid(null, e.getMessage());
        default -> {
          LOG.log(System.Logger.Level.ERROR, "OpenAI request failed unexpectedly", t);
          yield new MeshException(ErrorCode.INTERNAL, "internal error", t);
        }
      };
    }
  }
}
