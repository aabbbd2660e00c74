package dev.coemesh.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On the Vert.x the gateway ships with: a 1 s idle timeout cuts a request whose answer takes 2 s,
 * unless the request pauses it; once the paused request is answered, the idle connection is closed
 * again by the timeout.
 */
class ConnectionIdlePauseTest {
  private static final int IDLE_SECONDS = 1;
  private static final long ANSWER_AFTER_MS = 2_000;

  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router
        .get("/paused")
        .handler(
            ctx -> {
              ConnectionIdlePause.whileServing(ctx);
              vertx.setTimer(ANSWER_AFTER_MS, t -> ctx.response().end("late\n"));
            });
    router
        .get("/plain")
        .handler(ctx -> vertx.setTimer(ANSWER_AFTER_MS, t -> ctx.response().end("late\n")));
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setIdleTimeout(IDLE_SECONDS))
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aSlowAnswerWithoutThePauseIsCutByTheIdleTimeout() throws Exception {
    try (Socket s = request("/plain")) {
      assertEquals(null, new BufferedReader(reader(s)).readLine(), "closed before the answer");
    }
  }

  @Test
  void aPausedRequestOutlivesTheIdleTimeoutAndTheIdleConnectionIsThenClosed() throws Exception {
    try (Socket s = request("/paused")) {
      BufferedReader in = new BufferedReader(reader(s));
      assertEquals("HTTP/1.1 200 OK", in.readLine());
      String line;
      while ((line = in.readLine()) != null && !line.equals("late")) {
        // headers
      }
      assertEquals("late", line);
      long idleFrom = System.nanoTime();
      try {
        assertEquals(-1, s.getInputStream().read(), "closed once idle again");
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the idle connection was not closed after the answer", e);
      }
      long idleMillis = (System.nanoTime() - idleFrom) / 1_000_000;
      assertTrue(idleMillis >= IDLE_SECONDS * 1000 - 200, "closed after " + idleMillis + " ms");
    }
  }

  private Socket request(String path) throws Exception {
    Socket s = new Socket("127.0.0.1", server.actualPort());
    s.setSoTimeout(10_000);
    s.getOutputStream()
        .write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
    return s;
  }

  private static InputStreamReader reader(Socket s) throws Exception {
    return new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8);
  }
}
