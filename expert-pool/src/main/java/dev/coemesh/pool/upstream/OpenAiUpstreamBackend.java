package dev.coemesh.pool.upstream;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * An expert served by an OpenAI-compatible server (vLLM, llama.cpp, SGLang...): each generation is
 * one streaming request ({@code stream: true} with usage) over the JDK {@link HttpClient}, its
 * server-sent events turned into {@link TokenEvent}s. A chat request ({@link
 * GenerationRequest#chat}) goes to {@code POST /v1/chat/completions} with its messages, tools and
 * response format intact, so the upstream applies its own model's chat template and tool calls come
 * back as {@link TokenEvent.ToolCallDelta}s; a text prompt goes to {@code POST /v1/completions}.
 *
 * <p>Timeouts: connecting ({@link UpstreamOptions#connectTimeout}), until the response headers
 * ({@link UpstreamOptions#headersTimeout}), between stream events ({@link
 * UpstreamOptions#idleTimeout}, then {@code DEADLINE_EXCEEDED}), and the request's deadline (then
 * {@code Finished(CANCELLED)}, as the embedded engine does). Cancelling closes the stream, which
 * tells the upstream to stop generating. Upstream failures map to {@link ErrorCode}s in {@link
 * UpstreamErrors}.
 *
 * <p>The prompt's token count is an estimate (the upstream's tokenizer is remote) unless a counter
 * is given; the usage in {@code Finished} is the upstream's own count when it reports one. Tokens
 * carry id -1: the streams send text, not ids.
 */
public final class OpenAiUpstreamBackend implements ExpertBackend {
  /** How often the watchdog looks for generations past their deadline or idle. */
  private static final Duration WATCHDOG_PERIOD = Duration.ofMillis(50);

  private final UpstreamOptions options;
  private final ToIntFunction<String> tokenCounter;
  private final Supplier<Map<String, String>> callHeaders;
  private final HttpClient client;
  private final ScheduledExecutorService watchdog;
  private final Set<UpstreamGeneration> active = ConcurrentHashMap.newKeySet();
  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean closed;

  public OpenAiUpstreamBackend(UpstreamOptions options) {
    this(options, OpenAiUpstreamBackend::estimateTokens);
  }

  /**
   * @param tokenCounter counts a prompt's tokens as the upstream model does (fair charging and
   *     context checks use it)
   */
  public OpenAiUpstreamBackend(UpstreamOptions options, ToIntFunction<String> tokenCounter) {
    this(options, tokenCounter, Map::of);
  }

  /**
   * @param callHeaders headers for each call, read on the thread that submits it: the caller's
   *     trace context ({@code traceparent}), so an upstream's spans join the request's trace
   */
  public OpenAiUpstreamBackend(UpstreamOptions options, Supplier<Map<String, String>> callHeaders) {
    this(options, OpenAiUpstreamBackend::estimateTokens, callHeaders);
  }

  private OpenAiUpstreamBackend(
      UpstreamOptions options,
      ToIntFunction<String> tokenCounter,
      Supplier<Map<String, String>> callHeaders) {
    this.options = Objects.requireNonNull(options, "options");
    this.tokenCounter = Objects.requireNonNull(tokenCounter, "tokenCounter");
    this.callHeaders = Objects.requireNonNull(callHeaders, "callHeaders");
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // upstreams speak h1; no h2c upgrade round trip
            .connectTimeout(options.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r ->
                Thread.ofPlatform()
                    .daemon()
                    .name("upstream-watchdog-" + options.expert())
                    .unstarted(r));
    long period = WATCHDOG_PERIOD.toNanos();
    watchdog.scheduleAtFixedRate(this::checkTimeouts, period, period, TimeUnit.NANOSECONDS);
  }

  /**
   * About four bytes of UTF-8 per token, the usual ratio of BPE vocabularies on English text; at
   * least 1. Only an estimate: the upstream's usage replaces it once the request finishes.
   */
  public static int estimateTokens(String prompt) {
    int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
    return Math.max(1, (bytes + 3) / 4);
  }

  @Override
  public ExpertId expert() {
    return options.expert();
  }

  @Override
  public int contextLength() {
    return options.contextLength();
  }

  @Override
  public int countTokens(String prompt) {
    return tokenCounter.applyAsInt(prompt);
  }

  /** No KV pool is visible from here ({@code totalKvBlocks} 0): batch slots are the limit. */
  @Override
  public Capacity capacity() {
    return new Capacity(0, 0, running.get(), 0, options.maxConcurrent());
  }

  /** Generations forwarded and not yet ended. */
  public int running() {
    return running.get();
  }

  @Override
  public Generation submit(GenerationRequest request, Consumer<TokenEvent> sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    if (closed) {
      throw new MeshException(ErrorCode.NO_HEALTHY_REPLICA, label() + " is shut down");
    }
    Duration left = Duration.between(Instant.now(), request.deadline());
    if (left.isNegative() || left.isZero()) {
      throw new MeshException(ErrorCode.DEADLINE_EXCEEDED, "the request's deadline has passed");
    }
    if (running.incrementAndGet() > options.maxConcurrent()) {
      running.decrementAndGet();
      throw new MeshException(
          ErrorCode.CAPACITY_EXHAUSTED,
          label() + " already runs its " + options.maxConcurrent() + " requests");
    }
    boolean chat = request.chat() != null;
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(chat ? options.chatCompletionsUri() : options.completionsUri())
            .timeout(options.headersTimeout())
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .header("X-Request-Id", request.id().value());
    callHeaders.get().forEach(builder::header);
    HttpRequest http =
        authorized(builder)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    chat
                        ? CompletionBody.chat(options.model(), request.chat(), request.sampling())
                        : CompletionBody.text(
                            options.model(), request.prompt(), request.sampling())))
            .build();
    UpstreamGeneration[] self = new UpstreamGeneration[1];
    UpstreamGeneration generation =
        new UpstreamGeneration(
            label(),
            client,
            http,
            estimateOrCount(request.prompt()),
            System.nanoTime() + left.toNanos(),
            options.idleTimeout().toNanos(),
            sink,
            () -> {
              active.remove(self[0]);
              running.decrementAndGet();
            });
    self[0] = generation;
    active.add(generation);
    generation.start();
    return generation;
  }

  private int estimateOrCount(String prompt) {
    try {
      return Math.max(0, tokenCounter.applyAsInt(prompt));
    } catch (RuntimeException e) {
      return estimateTokens(prompt);
    }
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder b) {
    return options.apiKey().isEmpty() ? b : b.header("Authorization", "Bearer " + options.apiKey());
  }

  private void checkTimeouts() {
    long now = System.nanoTime();
    for (UpstreamGeneration g : active) {
      g.checkTimeouts(now);
    }
  }

  private String label() {
    return "upstream " + options.expert();
  }

  /** Cancels every running generation (each ends with {@code Finished(CANCELLED)}). */
  @Override
  public void close() {
    closed = true;
    for (UpstreamGeneration g : active) {
      g.cancel();
    }
    watchdog.shutdownNow();
    client.shutdownNow();
  }
}
