package dev.coemesh.bench.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * BENCHMARK STUB, not a model: a loopback OpenAI-compatible server that answers every {@code POST
 * .../completions} at once with the same four-token reply (streamed as SSE when asked), so that a
 * benchmark measures only what sits in front of it. Vert.x (non-blocking, TCP_NODELAY): the JDK's
 * {@code HttpServer} alone adds about a millisecond per keep-alive request to a JDK client, which
 * would dwarf what is measured.
 */
final class FixedReplyUpstream implements AutoCloseable {
  /** The SSE body, for other stubs that serve the same reply. */
  static String streamBody() {
    return new String(STREAM, StandardCharsets.UTF_8);
  }

  /** The JSON body. */
  static String jsonBody() {
    return new String(JSON, StandardCharsets.UTF_8);
  }

  static final String MODEL = "fixed";
  private static final String[] TOKENS = {" Hello", " from", " the", " stub"};
  private static final byte[] STREAM = stream();
  private static final byte[] JSON =
      ("{\"id\":\"cmpl-fixed\",\"object\":\"text_completion\",\"created\":0,\"model\":\"fixed\","
              + "\"choices\":[{\"index\":0,\"text\":\" Hello from the stub\",\"logprobs\":null,"
              + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
              + "\"completion_tokens\":4,\"total_tokens\":7}}")
          .getBytes(StandardCharsets.UTF_8);

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;

  FixedReplyUpstream() throws Exception {
    Buffer stream = Buffer.buffer(STREAM);
    Buffer json = Buffer.buffer(JSON);
    server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
            .requestHandler(
                req -> {
                  if (req.method() != HttpMethod.POST || !req.path().endsWith("/completions")) {
                    req.response().setStatusCode(404).end();
                    return;
                  }
                  req.body()
                      .onSuccess(
                          body -> {
                            boolean sse =
                                body.toString(StandardCharsets.UTF_8)
                                    .replace(" ", "")
                                    .contains("\"stream\":true");
                            req.response()
                                .putHeader(
                                    "Content-Type", sse ? "text/event-stream" : "application/json")
                                .end(sse ? stream : json);
                          });
                })
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  int port() {
    return server.actualPort();
  }

  private static byte[] stream() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < TOKENS.length; i++) {
      b.append("data: {\"id\":\"cmpl-fixed\",\"object\":\"text_completion\",\"created\":0,")
          .append("\"model\":\"fixed\",\"choices\":[{\"index\":0,\"text\":\"")
          .append(TOKENS[i])
          .append("\",\"logprobs\":null,\"finish_reason\":")
          .append(i == TOKENS.length - 1 ? "\"length\"" : "null")
          .append("}]}\n\n");
    }
    b.append("data: {\"id\":\"cmpl-fixed\",\"object\":\"text_completion\",\"created\":0,")
        .append("\"model\":\"fixed\",\"choices\":[],")
        .append("\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\n");
    b.append("data: [DONE]\n\n");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
