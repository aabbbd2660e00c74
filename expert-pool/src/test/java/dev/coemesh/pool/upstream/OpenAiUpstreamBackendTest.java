package dev.coemesh.pool.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.TenantId;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Against {@link OpenAiProtocolPeer}, a real loopback HTTP server speaking the stream protocol. */
class OpenAiUpstreamBackendTest {
  static final ExpertId EXPERT = new ExpertId("upstream-llama");

  OpenAiProtocolPeer peer;
  OpenAiUpstreamBackend backend;

  @BeforeEach
  void start() throws Exception {
    peer = new OpenAiProtocolPeer();
    backend = backend(peer.baseUrl(), Duration.ofSeconds(5), Duration.ofMillis(400));
  }

  @AfterEach
  void stop() {
    backend.close();
    peer.close();
  }

  static OpenAiUpstreamBackend backend(String url, Duration headers, Duration idle) {
    return new OpenAiUpstreamBackend(
        new UpstreamOptions(
            EXPERT,
            URI.create(url),
            "llama-3-8b",
            "sk-upstream",
            2048,
            2,
            Duration.ofSeconds(1),
            headers,
            idle));
  }

  /** Collects one generation's events. */
  static final class Events {
    final List<TokenEvent> all = new CopyOnWriteArrayList<>();
    final CountDownLatch ended = new CountDownLatch(1);

    void accept(TokenEvent e) {
      all.add(e);
      if (!(e instanceof TokenEvent.Token)) {
        ended.countDown();
      }
    }

    TokenEvent terminal() throws InterruptedException {
      assertTrue(ended.await(10, TimeUnit.SECONDS), "no terminal event within 10 s");
      return all.getLast();
    }

    String text() {
      StringBuilder b = new StringBuilder();
      for (TokenEvent e : all) {
        if (e instanceof TokenEvent.Token t) {
          b.append(t.text());
        }
      }
      return b.toString();
    }
  }

  static GenerationRequest request(String prompt, SamplingParams sampling, Duration deadline) {
    return new GenerationRequest(
        new RequestId("req-1"),
        new TenantId("acme"),
        EXPERT,
        prompt,
        sampling,
        Instant.now().plus(deadline));
  }

  static GenerationRequest request(String prompt) {
    return request(prompt, SamplingParams.greedy(16), Duration.ofSeconds(30));
  }

  Events run(String prompt) throws InterruptedException {
    Events events = new Events();
    backend.submit(request(prompt), events::accept);
    events.terminal();
    return events;
  }

  @Test
  void streamsTokensInOrderAndFinishesWithTheUpstreamsUsage() throws Exception {
    Events events = run("tokens:5");
    assertEquals(" w0 w1 w2 w3 w4", events.text());
    for (int i = 0; i < 5; i++) {
      TokenEvent.Token t = (TokenEvent.Token) events.all.get(i);
      assertEquals(i, t.index());
      assertEquals(-1, t.tokenId());
    }
    TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, events.all.get(5));
    assertEquals(6, events.all.size());
    assertEquals(FinishReason.LENGTH, end.reason());
    assertEquals(new Usage(7, 5, 2), end.usage());
    assertTrue(end.timings().ttftMs() >= 0);
    assertEquals(0, backend.running());
  }

  @Test
  void sendsAStreamingCompletionWithTheSamplingParametersAndTheKey() throws Exception {
    SamplingParams p =
        new SamplingParams(0.7, 40, 0.9, 42, 12, List.of(13), List.of("\n\n", "\"end\""), 3);
    Events events = new Events();
    backend.submit(request("tokens:1", p, Duration.ofSeconds(30)), events::accept);
    events.terminal();
    assertEquals(
        "{\"model\":\"llama-3-8b\",\"prompt\":\"tokens:1\",\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":12,\"temperature\":0.7,"
            + "\"top_p\":0.9,\"seed\":42,\"top_k\":40,\"stop\":[\"\\n\\n\",\"\\\"end\\\"\"],"
            + "\"stop_token_ids\":[13],\"logprobs\":3}",
        peer.lastBody);
    assertEquals("Bearer sk-upstream", peer.lastHeaders.get("authorization"));
    assertEquals("text/event-stream", peer.lastHeaders.get("accept"));
    assertEquals("req-1", peer.lastHeaders.get("x-request-id"));
  }

  @Test
  void eachCallCarriesTheHeadersOfTheThreadThatSubmitsIt() throws Exception {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ThreadLocal<String> current = new ThreadLocal<>();
    try (OpenAiUpstreamBackend traced =
        new OpenAiUpstreamBackend(
            new UpstreamOptions(
                EXPERT,
                URI.create(peer.baseUrl()),
                "llama-3-8b",
                "",
                2048,
                2,
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                Duration.ofMillis(400)),
            () -> current.get() == null ? Map.of() : Map.of("traceparent", current.get()))) {
      current.set(traceparent);
      Events events = new Events();
      traced.submit(request("tokens:1"), events::accept);
      assertInstanceOf(TokenEvent.Finished.class, events.terminal());
      assertEquals(traceparent, peer.lastHeaders.get("traceparent"));
    }
  }

  @Test
  void cancellingClosesTheStreamSoTheUpstreamStops() throws Exception {
    Events events = new Events();
    ExpertBackend.Generation g = backend.submit(request("endless"), events::accept);
    long wait = System.nanoTime() + 5_000_000_000L;
    while (events.all.size() < 3 && System.nanoTime() < wait) {
      Thread.sleep(5);
    }
    g.cancel();
    TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, events.terminal());
    assertEquals(FinishReason.CANCELLED, end.reason());
    int received = events.all.size() - 1;
    assertEquals(received, end.usage().completionTokens());
    assertTrue(peer.clientGone.await(5, TimeUnit.SECONDS), "the upstream must see the client go");
    assertTrue(peer.endlessTokensWritten < 1_000);
    g.cancel(); // again: nothing more
    Thread.sleep(50);
    assertEquals(received + 1, events.all.size());
    assertEquals(0, backend.running());
  }

  @Test
  void theDeadlineEndsAStreamAsCancelled() throws Exception {
    Events events = new Events();
    backend.submit(
        request("endless", SamplingParams.greedy(16), Duration.ofMillis(300)), events::accept);
    TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, events.terminal());
    assertEquals(FinishReason.CANCELLED, end.reason());
    assertTrue(peer.clientGone.await(5, TimeUnit.SECONDS));
  }

  @Test
  void anUpstreamSilentPastTheIdleTimeoutFailsWithDeadlineExceeded() throws Exception {
    long start = System.nanoTime();
    Events events = run("stall");
    TokenEvent.Failed failed = assertInstanceOf(TokenEvent.Failed.class, events.all.getLast());
    assertEquals(ErrorCode.DEADLINE_EXCEEDED, failed.code());
    assertEquals(
        "upstream upstream-llama sent nothing for 400 ms after 1 tokens", failed.message());
    assertEquals(" s", events.text());
    assertTrue(System.nanoTime() - start < 3_000_000_000L);
  }

  @Test
  void headersThatNeverComeFailWithDeadlineExceeded() throws Exception {
    backend.close();
    backend = backend(peer.baseUrl(), Duration.ofMillis(300), Duration.ofSeconds(5));
    TokenEvent.Failed failed =
        assertInstanceOf(TokenEvent.Failed.class, run("slow-headers").all.getLast());
    assertEquals(ErrorCode.DEADLINE_EXCEEDED, failed.code());
    assertEquals("upstream upstream-llama did not answer in time", failed.message());
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({
    "400, CONTEXT_LENGTH_EXCEEDED",
    "401, CONFIG_INVALID",
    "404, CONFIG_INVALID",
    "413, PAYLOAD_TOO_LARGE",
    "422, INVALID_REQUEST",
    "429, CAPACITY_EXHAUSTED",
    "500, NO_HEALTHY_REPLICA",
    "503, NO_HEALTHY_REPLICA",
    "504, DEADLINE_EXCEEDED",
  })
  void errorStatusesMapToErrorCodes(int status, ErrorCode code) throws Exception {
    TokenEvent.Failed failed =
        assertInstanceOf(TokenEvent.Failed.class, run("status:" + status).all.getLast());
    assertEquals(code, failed.code());
    assertEquals(
        "upstream upstream-llama answered "
            + status
            + ": This model's maximum context length is 2048 tokens",
        failed.message());
  }

  @Test
  void anErrorInsideTheStreamFailsAfterTheTokensBeforeIt() throws Exception {
    Events events = run("stream-error");
    assertEquals(" x", events.text());
    TokenEvent.Failed failed = assertInstanceOf(TokenEvent.Failed.class, events.all.getLast());
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, failed.code());
    assertEquals("upstream upstream-llama: engine died", failed.message());
  }

  @Test
  void aMalformedChunkOrATruncatedStreamIsAnUnhealthyUpstream() throws Exception {
    TokenEvent.Failed malformed =
        assertInstanceOf(TokenEvent.Failed.class, run("malformed").all.getLast());
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, malformed.code());
    assertTrue(malformed.message().startsWith("upstream upstream-llama sent a malformed chunk"));

    Events truncated = run("truncated");
    assertEquals(" a b", truncated.text());
    TokenEvent.Failed early = assertInstanceOf(TokenEvent.Failed.class, truncated.all.getLast());
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, early.code());
    assertEquals(
        "upstream upstream-llama closed the stream after 2 tokens without finishing",
        early.message());
  }

  @Test
  void anUnreachableUpstreamIsNoHealthyReplica() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    backend.close();
    backend = backend("http://127.0.0.1:" + port, Duration.ofSeconds(2), Duration.ofSeconds(2));
    TokenEvent.Failed failed =
        assertInstanceOf(TokenEvent.Failed.class, run("tokens:1").all.getLast());
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, failed.code());
    assertTrue(
        failed.message().startsWith("upstream upstream-llama is unreachable"), failed.message());
    assertEquals(0, backend.running());
  }

  @Test
  void capacityReportsSlotsAndRefusesBeyondThem() throws Exception {
    assertEquals(new ExpertBackend.Capacity(0, 0, 0, 0, 2), backend.capacity());
    Events a = new Events();
    Events b = new Events();
    var ga = backend.submit(request("endless"), a::accept);
    var gb = backend.submit(request("endless"), b::accept);
    assertEquals(new ExpertBackend.Capacity(0, 0, 2, 0, 2), backend.capacity());
    MeshException full =
        assertThrows(MeshException.class, () -> backend.submit(request("endless"), e -> {}));
    assertEquals(ErrorCode.CAPACITY_EXHAUSTED, full.code());
    ga.cancel();
    gb.cancel();
    a.terminal();
    b.terminal();
    long wait = System.nanoTime() + 2_000_000_000L;
    while (backend.running() != 0 && System.nanoTime() < wait) {
      Thread.sleep(5);
    }
    assertEquals(0, backend.running());
  }

  @Test
  void badRequestsAndConfigurationAreTypedErrors() {
    MeshException late =
        assertThrows(
            MeshException.class,
            () ->
                backend.submit(
                    request("tokens:1", SamplingParams.greedy(1), Duration.ofSeconds(-1)),
                    e -> {}));
    assertEquals(ErrorCode.DEADLINE_EXCEEDED, late.code());
    assertThrows(
        IllegalArgumentException.class,
        () -> UpstreamOptions.of(EXPERT, URI.create("ftp://x"), "m", 2048, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> UpstreamOptions.of(EXPERT, URI.create("http://x:1"), " ", 2048, 1));
    backend.close();
    MeshException closed =
        assertThrows(MeshException.class, () -> backend.submit(request("tokens:1"), e -> {}));
    assertEquals(ErrorCode.NO_HEALTHY_REPLICA, closed.code());
  }

  @Test
  void promptTokensAreEstimatedFromUtf8BytesUnlessACounterIsGiven() {
    assertEquals(1, OpenAiUpstreamBackend.estimateTokens(""));
    assertEquals(3, OpenAiUpstreamBackend.estimateTokens("Once upon a ")); // 12 bytes
    assertEquals(2, OpenAiUpstreamBackend.estimateTokens("héllo")); // 6 bytes
    try (var counted =
        new OpenAiUpstreamBackend(
            UpstreamOptions.of(EXPERT, URI.create(peer.baseUrl()), "m", 2048, 1), String::length)) {
      assertEquals(9, counted.countTokens("Once upon"));
    }
  }

  @Test
  void upstreamJsonReadsWhatStreamsSendAndRefusesGarbage() {
    Map<?, ?> m =
        (Map<?, ?>)
            UpstreamJson.parse("{\"a\":[1,-2.5e3,true,null],\"s\":\"\\u00e9\\n\\ud83d\\ude00\"}");
    assertEquals(List.of(1, -2500.0, true), ((List<?>) m.get("a")).subList(0, 3));
    assertEquals("é\n😀", m.get("s"));
    for (String bad :
        List.of("{", "{\"a\" 1}", "[1,]", "\"\\x\"", "01x", "{} {}", "{\"a\":1,\"a\":2}")) {
      assertThrows(IllegalArgumentException.class, () -> UpstreamJson.parse(bad), bad);
    }
  }
}
