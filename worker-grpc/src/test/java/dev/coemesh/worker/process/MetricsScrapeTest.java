package dev.coemesh.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenReply;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real {@code WorkerServer} process started with {@code --metrics-port 0} serves its meters as
 * Prometheus text at {@code /q/metrics}: every metric observability/METRICS.md lists for workers,
 * tagged with the expert and role it was started with.
 */
class MetricsScrapeTest {
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static WorkerProcess worker;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    worker =
        WorkerProcess.start(
            "prefill",
            List.of(),
            List.of("-Xmx256m"),
            List.of(
                "--role",
                "prefill",
                "--expert",
                "coder",
                "--model",
                SharedModels.file(SharedModels.STORIES_260K_BIN).toString(),
                "--tokenizer",
                SharedModels.file(SharedModels.STORIES_260K_TOKENIZER).toString(),
                "--redis",
                "memory",
                "--calibration-tokens",
                "0",
                "--metrics-port",
                "0"),
            Duration.ofSeconds(30),
            CREDENTIAL);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", worker.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (worker != null) {
      worker.close();
    }
  }

  private static URI metrics() {
    return URI.create("http://127.0.0.1:" + worker.metricsPort() + "/q/metrics");
  }

  @Test
  void aServedRequestShowsInEveryDocumentedWorkerMetricWithItsExpertAndRole() throws Exception {
    assertTrue(worker.metricsPort() > 0, "the worker printed METRICS <port>");
    Iterator<TokenReply> replies =
        ColocatedGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .withCallCredentials(new MeshCallCredentials(CREDENTIAL))
            .generate(
                GenerateRequest.newBuilder()
                    .setRequest(WorkerMessages.ref(RequestId.random(), new TenantId("scrape")))
                    .setText("Once upon a time")
                    .setSampling(Sampling.newBuilder().setMaxTokens(4))
                    .build());
    while (!replies.next().hasFinished()) {
      // stream to the end
    }

    Scrape scrape = Scrape.of(metrics());
    Set<String> documented = MetricsCatalog.ofCheckout().namesOf("worker");
    assertFalse(documented.isEmpty());
    assertEquals(Set.of(), scrape.missing(documented), "documented but not exported");

    assertEquals(1.0, value(scrape, "mesh_worker_ttft_seconds_count", "mode=\"colocated\""));
    assertEquals(
        0.0, value(scrape, "mesh_worker_num_requests_running", ""), "nothing left running");
    assertEquals(0.0, value(scrape, "mesh_worker_kv_cache_usage_perc", ""), "its blocks freed");
    assertEquals(0.0, value(scrape, "mesh_kv_handoff_bytes_total", "kind=\"encoded\""));
  }

  /**
   * java.net.http asks to upgrade to HTTP/2 (h2c); the endpoint answers in HTTP/1.1, as Prometheus
   * scrapes (an upgraded large scrape once reached the client out of step).
   */
  @Test
  void anH2cUpgradeIsDeclinedAndTheScrapeAnsweredInHttp11() throws Exception {
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(metrics()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, response.version());
        assertTrue(response.body().contains("mesh_worker_num_requests_waiting{"));
      }
    }
  }

  @Test
  void anyOtherPathIsNotFound() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      URI other = URI.create("http://127.0.0.1:" + worker.metricsPort() + "/q/health");
      HttpResponse<String> response =
          http.send(HttpRequest.newBuilder(other).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, response.statusCode());
    }
  }

  /** The value of the one sample of {@code name} whose labels contain {@code label}. */
  private static double value(Scrape scrape, String name, String label) {
    Double found = null;
    for (String line : scrape.text().split("\n")) {
      if (line.startsWith(name + "{") && line.contains(label)) {
        assertTrue(line.contains("expert=\"coder\""), line);
        assertTrue(line.contains("role=\"prefill\""), line);
        assertEquals(null, found, "one series of " + name + " with " + label);
        found = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    assertTrue(found != null, name + " with " + label + " not exported:\n" + scrape.text());
    return found;
  }
}
