package dev.coemesh.gateway.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.error.RestErrors;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import dev.coemesh.pool.openai.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The on-call status page: {@code GET /mesh/v1/status} (a {@link StatusReport}) and the page that
 * polls it, {@code GET /ui} with its script and style. No API key (see {@link StatusConfig}); the
 * page loads nothing from elsewhere, and its Content-Security-Policy says so to the browser. Any
 * other path or method under {@code /mesh} or {@code /ui} is OpenAI's 404 {@code unknown_url}, as
 * under {@code /v1}.
 */
@Singleton
public class StatusRoutes {
  private static final String STATUS = "/mesh/v1/status";

  /** Only this origin, and no inline script or style, so nothing injected can run. */
  private static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self';"
          + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final StatusConfig config;
  private final StatusBoard board;
  private final ObjectMapper json;
  private final RequestMetrics metrics;

  public StatusRoutes(
      StatusConfig config, StatusBoard board, ObjectMapper json, RequestMetrics metrics) {
    this.config = config;
    this.board = board;
    this.json = json;
    this.metrics = metrics;
  }

  void register(@Observes Router router) {
    if (config.enabled()) {
      router.get(STATUS).handler(this::status);
      serve(router.getWithRegex("/ui/?"), "index.html", "text/html; charset=utf-8");
      serve(router.get("/ui/status.js"), "status.js", "text/javascript; charset=utf-8");
      serve(router.get("/ui/status.css"), "status.css", "text/css; charset=utf-8");
      serve(router.get("/ui/favicon.svg"), "favicon.svg", "image/svg+xml");
    }
    router.route("/mesh/*").last().handler(this::unknownUrl);
    router.route("/ui/*").last().handler(this::unknownUrl);
  }

  private void status(RoutingContext ctx) {
    ctx.response()
        .putHeader("content-type", "application/json")
        .putHeader("cache-control", "no-store")
        .end(Buffer.buffer(Json.write(json, board.snapshot())));
  }

  /** Serves one file of the page, read from the jar once. */
  private static void serve(Route route, String resource, String type) {
    Buffer body = Buffer.buffer(resource(resource));
    route.handler(
        ctx ->
            ctx.response()
                .putHeader("content-type", type)
                .putHeader("cache-control", "no-cache")
                .putHeader("content-security-policy", CSP)
                .putHeader("x-content-type-options", "nosniff")
                .end(body));
  }

  private static byte[] resource(String name) {
    try (InputStream in = StatusRoutes.class.getResourceAsStream("/status-ui/" + name)) {
      if (in == null) {
        throw new IllegalStateException("status-ui/" + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
        config.enabled()
            ? "GET " + STATUS + " and the status page at GET /ui"
            : "no status page: mesh.status.enabled is false");
  }
}
