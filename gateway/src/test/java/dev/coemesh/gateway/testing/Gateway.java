package dev.coemesh.gateway.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.serve.ExpertPool;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Helpers for tests against the running gateway (one app start shared by all test classes). */
public final class Gateway {
  /** The keys configured in the test profile (application.properties, %test). */
  public static final String DEFAULT_KEY = "test-default-key";

  public static final String ACME_KEY = "acme-key";
  public static final String METERED_KEY = "metered-key";
  public static final String SINGLE_KEY = "single-key";

  /** 3 requests and 100,000 tokens per minute; only {@code LimitsApiTest} sends with it. */
  public static final String LIMITED_KEY = "limited-key";

  /** A tenant of the test profile's tenants file (tenants/test-tenants.yaml): batch by default. */
  public static final String BULK_KEY = "bulk-key";

  /** Greedy continuation of "Once upon a time" by stories260K (the model README's golden ids). */
  public static final String CONTINUATION =
      ", there was a little girl named Lily. She loved to play outside in the park";

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private Gateway() {}

  public static HttpResponse<String> post(URI base, String path, String key, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      r.header("authorization", "Bearer " + key);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  public static HttpResponse<String> get(URI base, String path, String key)
      throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (key != null) {
      r.header("authorization", "Bearer " + key);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Waits until nothing is held for finished requests: no request in flight, no ticket in the fair
   * scheduler, every expert's engine with no running or waiting sequence and all KV blocks free.
   */
  public static void awaitIdle(
      RequestOrchestrator orchestrator, ExpertDirectory experts, VtcScheduler fair)
      throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    String state = "";
    while (System.nanoTime() < end) {
      boolean idle = orchestrator.inflight() == 0 && fair.open() == 0;
      state = "inflight " + orchestrator.inflight() + ", tickets " + fair.open();
      for (ExpertPool b : experts.all()) {
        ExpertBackend.Capacity c = b.capacity();
        idle &=
            c.runningSequences() == 0
                && c.waitingSequences() == 0
                && c.freeKvBlocks() == c.totalKvBlocks();
        state += ", " + b.expert() + " " + c;
      }
      if (idle) {
        return;
      }
      Thread.sleep(5);
    }
    fail("the gateway did not return to idle: " + state);
  }
}
