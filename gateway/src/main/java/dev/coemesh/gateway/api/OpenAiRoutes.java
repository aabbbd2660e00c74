package dev.coemesh.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.auth.TenantDirectory;
import dev.coemesh.gateway.auth.TenantTable;
import dev.coemesh.gateway.error.LogLimiter;
import dev.coemesh.gateway.error.RestErrors;
import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.GenerationListener;
import dev.coemesh.gateway.orchestrate.RequestHandle;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.orchestrate.RoutingHints;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.sse.StreamingResponder;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.Json;
import dev.coemesh.pool.openai.ModelList;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The OpenAI-compatible HTTP API on Vert.x Web routes: {@code POST /v1/chat/completions}, {@code
 * POST /v1/completions}, {@code GET /v1/models}. Routes rather than JAX-RS resources because one
 * endpoint answers either one JSON body or an event stream depending on the body, the SSE framing
 * must be byte-exact, and a client disconnect must reach the engine as a cancel.
 *
 * <p>Per request: authenticate and resolve the priority class ({@code x-mesh-priority}, {@code
 * x-gateway-inference-objective}; both before the body is read) → read the body up to the limit
 * (413 beyond) → parse and validate on a worker thread → start the request in the {@link
 * RequestOrchestrator} with a buffered or streaming responder → cancel it when the connection
 * closes before the response ended.
 */
@Singleton
public class OpenAiRoutes {
  private static final Logger LOG = Logger.getLogger(OpenAiRoutes.class);

  /** Unexpected failures are logged with their stack, but a client repeating one cannot flood. */
  private static final LogLimiter UNEXPECTED = new LogLimiter(20);

  private static final String TENANT = "mesh.tenant";
  private static final String TABLE = "mesh.tenants";
  private static final String PRIORITY = "mesh.priority";
  private static final String CANCEL_ON_CLOSE = "mesh.cancel";

  /** Marks a connection that closed before its request was started. */
  private static final RequestHandle CLOSED = () -> {};

  private final TenantDirectory tenants;
  private final RequestOrchestrator orchestrator;
  private final ExpertDirectory experts;
  private final ObjectMapper json;
  private final ApiConfig config;
  private final RequestMetrics metrics;
  private final long started = System.currentTimeMillis() / 1000;

  public OpenAiRoutes(
      TenantDirectory tenants,
      RequestOrchestrator orchestrator,
      ExpertDirectory experts,
      ObjectMapper json,
      ApiConfig config,
      RequestMetrics metrics) {
    this.tenants = tenants;
    this.orchestrator = orchestrator;
    this.experts = experts;
    this.json = json;
    this.config = config;
    this.metrics = metrics;
  }

  void register(@Observes Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
    generation(router, "/v1/chat/completions", ApiKind.CHAT, body);
    generation(router, "/v1/completions", ApiKind.COMPLETION, body);
    router
        .get("/v1/models")
        .handler(this::authenticate)
        .handler(this::models)
        .failureHandler(this::failure);
    // anything else under /v1 gets OpenAI's shape of "not found", not the framework's page
    router.route("/v1/*").last().handler(this::unknownUrl);
  }

  private void generation(Router router, String path, ApiKind kind, BodyHandler body) {
    // two routes because Vert.x runs body handlers first within a route: the key is checked
    // before the body is read, so an unauthenticated client cannot make the gateway buffer it
    router
        .post(path)
        .handler(this::authenticate)
        .handler(this::prioritize)
        .failureHandler(this::failure);
    router
        .post(path)
        .handler(body)
        .handler(this::watchClose)
        .blockingHandler(ctx -> generate(ctx, kind), false)
        .failureHandler(this::failure);
  }

  private void authenticate(RoutingContext ctx) {
    TenantTable table = tenants.table(); // one version of the tenants for the whole request
    try {
      ctx.put(
          TENANT,
          table.authenticator().authenticateHeader(ctx.request().getHeader("authorization")));
    } catch (MeshException e) {
      refuse(ctx, e);
      return;
    }
    ctx.put(TABLE, table);
    ctx.next();
  }

  /** The request's priority class; an unknown value is refused before the body is read. */
  private void prioritize(RoutingContext ctx) {
    TenantTable table = ctx.get(TABLE);
    try {
      ctx.put(
          PRIORITY,
          table.priority(
              ctx.get(TENANT),
              ctx.request().getHeader(MeshHeaders.PRIORITY),
              ctx.request().getHeader(MeshHeaders.OBJECTIVE)));
    } catch (MeshException e) {
      refuse(ctx, e);
      return;
    }
    ctx.next();
  }

  /** Answers a request refused before it reached the orchestrator, and counts it. */
  private void refuse(RoutingContext ctx, MeshException error) {
    metrics.refused(error.code().wireCode());
    RestErrors.write(ctx.response(), json, error, 0);
  }

  /**
   * Registers the disconnect hook on the event loop, before any work starts, and pauses the
   * connection's idle timeout until the response ends: the body has arrived, and from here the
   * request's own deadline bounds it (a body that stalls is still cut by the idle timeout).
   */
  private void watchClose(RoutingContext ctx) {
    ConnectionIdlePause.whileServing(ctx);
    AtomicReference<RequestHandle> handle = new AtomicReference<>();
    ctx.put(CANCEL_ON_CLOSE, handle);
    ctx.response()
        .closeHandler(
            v -> {
              RequestHandle h = handle.getAndSet(CLOSED);
              if (h != null && h != CLOSED) {
                h.cancel();
              }
            });
    ctx.next();
  }

  private void generate(RoutingContext ctx, ApiKind kind) {
    HttpServerResponse response = ctx.response();
    Tenant tenant = ctx.get(TENANT);
    ApiRequest parsed;
    try {
      byte[] bytes = ctx.body().buffer() == null ? null : ctx.body().buffer().getBytes();
      parsed =
          switch (kind) {
            case CHAT -> OpenAiRequests.chat(bytes);
            case COMPLETION -> OpenAiRequests.completion(bytes);
          };
    } catch (MeshException e) {
      refuse(ctx, e);
      return;
    }
    Priority priority = ctx.get(PRIORITY);
    ClientRequest request =
        parsed
            .request()
            .withHints(
                new RoutingHints(
                    ctx.request().getHeader(MeshHeaders.CATEGORY),
                    ctx.request().getHeader(MeshHeaders.SESSION)))
            .withPriority(priority);
    GenerationListener responder =
        parsed.stream()
            ? new StreamingResponder(response, json, kind, parsed.includeUsage())
            : new BufferedResponder(response, json, kind);
    AtomicReference<RequestHandle> handle = ctx.get(CANCEL_ON_CLOSE);
    orchestrator.start(
        tenant,
        request,
        responder,
        created -> {
          if (!handle.compareAndSet(null, created) || response.closed()) {
            created.cancel(); // the client left while the request was being parsed
          }
        });
  }

  private void models(RoutingContext ctx) {
    List<ModelList.Model> models = new ArrayList<>();
    for (ExpertPool b : experts.all()) {
      models.add(new ModelList.Model(b.expert().value(), "model", started, "coemesh"));
    }
    models.add(new ModelList.Model(ClientRequest.AUTO, "model", started, "coemesh-router"));
    ctx.response()
        .putHeader("content-type", "application/json")
        .end(Buffer.buffer(Json.write(json, new ModelList("list", models))));
  }

  private void unknownUrl(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    metrics.refused("unknown_url");
    RestErrors.unknownUrl(
        ctx.response(),
        json,
        ctx.request().method().name(),
        ctx.normalizedPath(),
        "POST /v1/chat/completions, POST /v1/completions and GET /v1/models");
  }

  /** Failures raised by Vert.x handlers: the body limit (413) and anything unexpected (500). */
  private void failure(RoutingContext ctx) {
    MeshException error;
    if (ctx.statusCode() == 413) {
      error =
          new MeshException(
              ErrorCode.PAYLOAD_TOO_LARGE,
              "The request body exceeds the limit of " + config.maxBodyBytes() + " bytes",
              null,
              null);
    } else if (ctx.failure() instanceof MeshException m) {
      error = m;
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      error = MeshException.invalid(null, "the request could not be read");
    } else if (ctx.failure() instanceof HttpClosedException || ctx.response().closed()) {
      // the client went away while its body was being read: its doing, and nobody to answer
      metrics.refused(ErrorCode.CANCELLED.wireCode());
      return;
    } else {
      Throwable cause = ctx.failure();
      UNEXPECTED.log(
          dropped -> LOG.errorf(cause, "request failed (%d similar lines dropped)", dropped));
      error = new MeshException(ErrorCode.INTERNAL, "internal error", cause);
    }
    refuse(ctx, error);
  }
}
