package dev.coemesh.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.gateway.error.RestErrors;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * The first route of every request: refuses a declared body over the limit, oversized headers and
 * an overlong URI with OpenAI-shaped errors, on every path, before any handler reads the body. The
 * HTTP codec's own limits are set higher (see application.properties), so these are the ones
 * clients meet; the body is then not read, so the connection is closed after the answer.
 */
@Singleton
public class FrontDoor {
  /** Before every other route, Quarkus' own included. */
  static final int ORDER = Integer.MIN_VALUE + 100;

  private final ApiConfig config;
  private final ObjectMapper json;
  private final RequestMetrics metrics;

  public FrontDoor(ApiConfig config, ObjectMapper json, RequestMetrics metrics) {
    this.config = config;
    this.json = json;
    this.metrics = metrics;
  }

  void register(@Observes Router router) {
    router.route().order(ORDER).handler(this::check);
  }

  private void check(RoutingContext ctx) {
    MeshException refused = refusal(ctx);
    if (refused == null) {
      ctx.next();
      return;
    }
    metrics.refused(refused.code().wireCode());
    if (ctx.request().version() != HttpVersion.HTTP_2) {
      ctx.response().putHeader("connection", "close"); // HTTP/2 forbids the header
    }
    RestErrors.write(ctx.response(), json, refused, 0);
  }

  private MeshException refusal(RoutingContext ctx) {
    String uri = ctx.request().uri();
    if (uri.length() > config.maxUriChars()) {
      return new MeshException(
          ErrorCode.URI_TOO_LONG,
          "The request URI has "
              + uri.length()
              + " characters; the limit is "
              + config.maxUriChars(),
          null,
          null);
    }
    long headerBytes = headerBytes(ctx.request().headers());
    if (headerBytes > config.maxHeaderBytes()) {
      return new MeshException(
          ErrorCode.HEADERS_TOO_LARGE,
          "The request headers hold "
              + headerBytes
              + " bytes; the limit is "
              + config.maxHeaderBytes(),
          null,
          null);
    }
    String length = ctx.request().getHeader("content-length");
    if (length != null && declaredLength(length) > config.maxBodyBytes()) {
      return new MeshException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "The request body exceeds the limit of " + config.maxBodyBytes() + " bytes",
          null,
          null);
    }
    return null;
  }

  private static long headerBytes(MultiMap headers) {
    long n = 0;
    for (Map.Entry<String, String> h : headers) {
      n += h.getKey().length() + h.getValue().length() + 4; // ": " and CRLF
    }
    return n;
  }

  /**
   * A Content-Length value; an unreadable one counts as too large (the codec rejects it anyway).
   */
  private static long declaredLength(String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
