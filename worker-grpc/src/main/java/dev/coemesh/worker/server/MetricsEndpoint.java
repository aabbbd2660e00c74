package dev.coemesh.worker.server;

import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The plain worker's Prometheus endpoint: {@code GET /q/metrics} (the path the Quarkus apps serve
 * it on) answers the registry's text exposition; every other request is a 404. One Vert.x event
 * loop thread; a scrape reads the meters, it never blocks on serving.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** The Prometheus text format a scrape answers with. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Vertx vertx;
  private final HttpServer server;

  private MetricsEndpoint(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  /**
   * Binds {@code host:port} (0: a free port, see {@link #port()}) and serves until closed.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public static MetricsEndpoint start(PrometheusMeterRegistry registry, String host, int port) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    try {
      HttpServer server =
          vertx
              // HTTP/1.1 only, as Prometheus scrapes: a client's h2c upgrade is declined rather
              // than
              // answered over HTTP/2 (a large scrape then reached java.net.http out of step)
              .createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
              .requestHandler(
                  request -> {
                    if (request.method() == HttpMethod.GET && "/q/metrics".equals(request.path())) {
                      request
                          .response()
                          .putHeader("Content-Type", CONTENT_TYPE)
                          .end(registry.scrape());
                    } else {
                      request.response().setStatusCode(404).end();
                    }
                  })
              .listen(port, host)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      return new MetricsEndpoint(vertx, server);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException(
          "cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    vertx.close();
  }
}
