package dev.coemesh.gateway.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code mesh.status.enabled=false}: the routes of {@link StatusRoutes} on a bare Vert.x router
 * serve nothing (the board is never asked), and every path under {@code /mesh} and {@code /ui}
 * answers OpenAI's 404 saying why.
 */
class StatusRoutesDisabledTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    StatusConfig disabled = () -> false;
    new StatusRoutes(disabled, null, JSON, new RequestMetrics(new SimpleMeterRegistry()))
        .register(router);
    server =
        vertx
            .createHttpServer()
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

  @ParameterizedTest
  @ValueSource(strings = {"/mesh/v1/status", "/ui", "/ui/", "/ui/status.js"})
  void servesNothingAndSaysWhy(String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertEquals(404, r.statusCode());
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertEquals("unknown_url", error.get("code").asText());
    assertEquals(
        "Unknown request URL: GET "
            + path
            + " (this gateway serves no status page: mesh.status.enabled is false)",
        error.get("message").asText());
  }
}
