package dev.coemesh.bench.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BENCHMARK STUB, not a collector: a loopback OTLP/HTTP endpoint that accepts every {@code POST
 * /v1/traces} batch and answers an empty success, so the tracing benchmark pays the real cost of
 * making, batching, encoding and sending spans and nothing for a collector's work. It counts the
 * batches and bytes, which shows that spans were really exported.
 */
final class OtlpSink implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  OtlpSink() throws Exception {
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .requestHandler(
                req -> {
                  if (req.method() != HttpMethod.POST || !req.path().equals("/v1/traces")) {
                    req.response().setStatusCode(404).end();
                    return;
                  }
                  req.body()
                      .onSuccess(
                          body -> {
                            batches.incrementAndGet();
                            bytes.addAndGet(body.length());
                            // an empty ExportTraceServiceResponse is zero bytes of protobuf
                            req.response()
                                .putHeader("Content-Type", "application/x-protobuf")
                                .end(Buffer.buffer());
                          });
                })
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  /** Where the gateway exports: {@code quarkus.otel.exporter.otlp.traces.endpoint}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  long batches() {
    return batches.get();
  }

  long bytes() {
    return bytes.get();
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
