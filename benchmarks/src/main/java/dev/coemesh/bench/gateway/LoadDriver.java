package dev.coemesh.bench.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends one fixed completion request to one path: sequentially for latency, then from many
 * closed-loop workers for the highest request rate. A response counts only when it is a 200 with
 * the whole completion: a stream ending in {@code [DONE]}, or a body with {@code choices}.
 *
 * <p>The client is Vert.x's (keep-alive, TCP_NODELAY, the request in one write): the JDK's
 * HttpClient against a JDK or Vert.x server measured ~0.7 ms more per request than through nginx,
 * an artefact of that client that would make the direct baseline slower than a proxy.
 */
final class LoadDriver implements AutoCloseable {
  /** Latency and throughput of one path. */
  record Result(double p50Ms, double p99Ms, double maxRps, long errors) {}

  /** A request slower than this counts as an error (loopback answers take milliseconds). */
  private static final long REQUEST_TIMEOUT_MS = 3_000;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient client;
  private final RequestOptions request;
  private final Buffer body;
  private final String complete; // what a whole answer contains
  private final URI target;

  LoadDriver(URI completions, String model, boolean stream, Map<String, String> headers, int pool) {
    this.target = completions;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setMaxPoolSize(pool)
                .setConnectTimeout(2_000));
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
    headers.forEach(h::add);
    this.request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(completions.toString())
            .setHeaders(h)
            .setIdleTimeout(REQUEST_TIMEOUT_MS);
    this.body =
        Buffer.buffer(
            "{\"model\":\""
                + model
                + "\",\"prompt\":\"Say hello\",\"max_tokens\":4,\"stream\":"
                + stream
                + "}");
    this.complete = stream ? "[DONE]" : "\"choices\"";
  }

  /** One request; throws with the status and body when the answer is not a whole completion. */
  void once() throws Exception {
    String failure =
        client
            .request(request)
            .compose(req -> req.send(body))
            .compose(
                resp ->
                    resp.body()
                        .map(
                            b -> {
                              String text = b.toString(StandardCharsets.UTF_8);
                              if (resp.statusCode() == 200 && text.contains(complete)) {
                                return "";
                              }
                              return "HTTP "
                                  + resp.statusCode()
                                  + ": "
                                  + (text.length() > 300 ? text.substring(0, 300) : text);
                            }))
            .toCompletionStage()
            .toCompletableFuture()
            .get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    if (!failure.isEmpty()) {
      throw new IllegalStateException(failure);
    }
  }

  /**
   * Warm-up, then {@code samples} sequential requests (a failed or timed-out one is counted as an
   * error and not sampled; more than {@code samples / 100} errors abort), then the closed loop.
   */
  Result measure(int warmup, int samples, int workers, Duration window) throws Exception {
    long warmupErrors = 0; // counted in the result, but a cold path may fail a few: no abort
    for (int i = 0; i < warmup; i++) {
      warmupErrors += tryOnce() ? 0 : 1;
    }
    long sequentialErrors = 0;
    long[] nanos = new long[samples]; // [sample] latency of one sequential request
    for (int i = 0; i < samples; ) {
      long t0 = System.nanoTime();
      if (tryOnce()) {
        nanos[i++] = System.nanoTime() - t0;
      } else if (++sequentialErrors > Math.max(1, samples / 100)) {
        throw new IllegalStateException(sequentialErrors + " failed sequential requests");
      }
    }
    Arrays.sort(nanos);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long end = start + window.toNanos();
    CountDownLatch finished = new CountDownLatch(workers);
    for (int w = 0; w < workers; w++) {
      Thread.ofVirtual()
          .start(
              () -> {
                while (System.nanoTime() < end) {
                  try {
                    once();
                    if (System.nanoTime() <= end) {
                      done.incrementAndGet(); // only what completed inside the window
                    }
                  } catch (Exception e) {
                    errors.incrementAndGet();
                  }
                }
                finished.countDown();
              });
    }
    finished.await();
    return new Result(
        percentile(nanos, 0.50),
        percentile(nanos, 0.99),
        done.get() / (window.toNanos() / 1e9),
        warmupErrors + sequentialErrors + errors.get());
  }

  private boolean tryOnce() {
    try {
      once();
      return true;
    } catch (Exception e) {
      if (!reportedFailure) {
        reportedFailure = true;
        System.err.println("first failed request to " + target + ": " + e);
      }
      return false;
    }
  }

  private boolean reportedFailure;

  private static double percentile(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, i)] / 1e6;
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
