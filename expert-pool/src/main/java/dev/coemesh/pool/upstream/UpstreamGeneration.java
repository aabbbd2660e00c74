package dev.coemesh.pool.upstream;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * One streamed completion from an upstream. A virtual thread sends the request, reads the SSE
 * stream and emits every event, so the sink sees them in order and exactly one terminal event.
 * {@link #cancel} and the backend's watchdog only close the exchange; the reader then notices and
 * ends the stream with the reason they recorded.
 */
final class UpstreamGeneration implements ExpertBackend.Generation {
  /** Error bodies are read up to this many bytes. */
  private static final int MAX_ERROR_BODY = 16 * 1024;

  /** Why the exchange was closed from outside; the first reason wins. */
  enum StopReason {
    CLIENT,
    DEADLINE,
    IDLE
  }

  private final String label; // "upstream <expert>" for messages
  private final HttpClient client;
  private final HttpRequest request;
  private final int estimatedPromptTokens;
  private final long deadlineNanos;
  private final long idleNanos;
  private final Consumer<TokenEvent> sink;
  private final Runnable onEnd;
  private final long startNanos = System.nanoTime();

  private volatile long lastActivityNanos = startNanos;
  private volatile StopReason stopReason;
  private volatile CompletableFuture<HttpResponse<InputStream>> exchange;
  private volatile InputStream body;

  // reader thread only
  private int emitted;
  private long firstTokenNanos;
  private long lastTokenNanos;
  private FinishReason finishReason;
  private Usage reportedUsage;

  UpstreamGeneration(
      String label,
      HttpClient client,
      HttpRequest request,
      int estimatedPromptTokens,
      long deadlineNanos,
      long idleNanos,
      Consumer<TokenEvent> sink,
      Runnable onEnd) {
    this.label = label;
    this.client = client;
    this.request = request;
    this.estimatedPromptTokens = estimatedPromptTokens;
    this.deadlineNanos = deadlineNanos;
    this.idleNanos = idleNanos;
    this.sink = sink;
    this.onEnd = onEnd;
  }

  void start() {
    Thread.ofVirtual().name(label).start(this::run);
  }

  @Override
  public void cancel() {
    stop(StopReason.CLIENT);
  }

  /** Called by the backend's watchdog; closes a generation past its deadline or idle too long. */
  void checkTimeouts(long now) {
    if (now - deadlineNanos >= 0) {
      stop(StopReason.DEADLINE);
    } else if (now - lastActivityNanos > idleNanos && exchange != null && exchange.isDone()) {
      stop(StopReason.IDLE); // waiting for headers is bounded by the request timeout instead
    }
  }

  private synchronized void stop(StopReason reason) {
    if (stopReason != null) {
      return;
    }
    stopReason = reason;
    CompletableFuture<HttpResponse<InputStream>> pending = exchange;
    if (pending != null) {
      pending.cancel(true); // aborts an exchange still waiting for headers
    }
    InputStream open = body;
    if (open != null) {
      try {
        open.close(); // unblocks the reader and releases the connection
      } catch (IOException ignored) {
        // already broken: the reader sees that too
      }
    }
  }

  /**
   * The slot is released before the terminal event is delivered: whoever reacts to it (the fair
   * scheduler admitting the next request) must find the capacity free.
   */
  private void run() {
    TokenEvent terminal;
    try {
      terminal = stream();
    } finally {
      onEnd.run();
    }
    sink.accept(terminal);
  }

  /** Runs the exchange and returns its terminal event; never throws. */
  private TokenEvent stream() {
    try {
      HttpResponse<InputStream> response;
      synchronized (this) {
        if (stopReason != null) {
          return stopped();
        }
        exchange = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
      }
      response = exchange.get();
      synchronized (this) {
        body = response.body();
        if (stopReason != null) {
          body.close();
          return stopped();
        }
      }
      lastActivityNanos = System.nanoTime();
      if (response.statusCode() != 200) {
        String text;
        try (InputStream in = response.body()) {
          text = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
        }
        String message = UpstreamErrors.message(text);
        return failed(
            UpstreamErrors.forStatus(response.statusCode(), message),
            label + " answered " + response.statusCode() + ": " + message);
      }
      try (InputStream in = response.body()) {
        return read(new SseReader(in));
      }
    } catch (CancellationException | InterruptedException e) {
      return stopped();
    } catch (ExecutionException e) {
      return stopReason != null ? stopped() : transportFailure(e.getCause());
    } catch (IOException e) {
      return stopReason != null ? stopped() : transportFailure(e);
    } catch (RuntimeException e) {
      return failed(ErrorCode.INTERNAL, label + ": " + e);
    }
  }

  private TokenEvent read(SseReader events) throws IOException {
    boolean done = false;
    String data;
    while (!done && (data = events.next()) != null) {
      lastActivityNanos = System.nanoTime();
      if (data.equals("[DONE]")) {
        done = true;
        continue;
      }
      Object chunk;
      try {
        chunk = UpstreamJson.parse(data);
      } catch (IllegalArgumentException e) {
        return failed(
            ErrorCode.NO_HEALTHY_REPLICA, label + " sent a malformed chunk: " + e.getMessage());
      }
      if (!(chunk instanceof Map<?, ?> map)) {
        return failed(ErrorCode.NO_HEALTHY_REPLICA, label + " sent a chunk that is not an object");
      }
      TokenEvent failure = onChunk(map);
      if (failure != null) {
        return failure;
      }
    }
    if (stopReason != null) {
      return stopped();
    }
    if (!done && finishReason == null) {
      return failed(
          ErrorCode.NO_HEALTHY_REPLICA,
          label + " closed the stream after " + emitted + " tokens without finishing");
    }
    return finished(finishReason == null ? FinishReason.STOP : finishReason);
  }

  /**
   * Emits the chunk's text and tool-call fragments, notes its finish reason and usage; returns a
   * failure or null.
   */
  private TokenEvent onChunk(Map<?, ?> chunk) {
    if (chunk.get("error") instanceof Map<?, ?> error) {
      String message = error.get("message") instanceof String m ? m : String.valueOf(error);
      return failed(UpstreamErrors.forStreamError(error, message), label + ": " + message);
    }
    if (chunk.get("usage") instanceof Map<?, ?> usage) {
      reportedUsage = usage(usage);
    }
    if (!(chunk.get("choices") instanceof List<?> choices) || choices.isEmpty()) {
      return null; // the usage-only chunk
    }
    if (!(choices.get(0) instanceof Map<?, ?> choice)) {
      return failed(ErrorCode.NO_HEALTHY_REPLICA, label + " sent a choice that is not an object");
    }
    // a completions chunk carries "text"; a chat chunk a "delta" with content and tool calls
    Map<?, ?> delta = choice.get("delta") instanceof Map<?, ?> d ? d : Map.of();
    Object text = choice.containsKey("text") ? choice.get("text") : delta.get("content");
    if (text instanceof String t && !t.isEmpty()) {
      long now = System.nanoTime();
      if (emitted == 0) {
        firstTokenNanos = now;
      }
      lastTokenNanos = now;
      Logprobs lp = Logprobs.of(choice.get("logprobs"));
      sink.accept(new TokenEvent.Token(emitted++, -1, t, lp.logprob, lp.top));
    }
    if (delta.get("tool_calls") instanceof List<?> calls) {
      for (Object call : calls) {
        TokenEvent.ToolCallDelta fragment = toolCall(call);
        if (fragment == null) {
          return failed(ErrorCode.NO_HEALTHY_REPLICA, label + " sent a malformed tool call");
        }
        sink.accept(fragment);
      }
    }
    if (choice.get("finish_reason") instanceof String reason) {
      finishReason =
          switch (reason) {
            case "length" -> FinishReason.LENGTH;
            case "tool_calls", "function_call" -> FinishReason.TOOL_CALLS;
            default -> FinishReason.STOP;
          };
    }
    return null;
  }

  /** One {@code delta.tool_calls[]} entry, or null when it is not one. */
  private static TokenEvent.ToolCallDelta toolCall(Object raw) {
    if (!(raw instanceof Map<?, ?> call) || !(call.get("index") instanceof Number index)) {
      return null;
    }
    Map<?, ?> function = call.get("function") instanceof Map<?, ?> f ? f : Map.of();
    return new TokenEvent.ToolCallDelta(
        Math.max(0, index.intValue()),
        call.get("id") instanceof String id ? id : null,
        function.get("name") instanceof String name ? name : null,
        function.get("arguments") instanceof String args ? args : "");
  }

  private static Usage usage(Map<?, ?> u) {
    int prompt = u.get("prompt_tokens") instanceof Number d ? d.intValue() : 0;
    int completion = u.get("completion_tokens") instanceof Number d ? d.intValue() : 0;
    int cached = 0;
    if (u.get("prompt_tokens_details") instanceof Map<?, ?> details
        && details.get("cached_tokens") instanceof Number c) {
      cached = Math.min(prompt, c.intValue());
    }
    return new Usage(Math.max(0, prompt), Math.max(0, completion), Math.max(0, cached));
  }

  /** The chosen token's logprob and alternatives from a legacy completions {@code logprobs}. */
  private record Logprobs(double logprob, List<TokenEvent.TopLogprob> top) {
    static final Logprobs NONE = new Logprobs(Double.NaN, List.of());

    static Logprobs of(Object raw) {
      if (!(raw instanceof Map<?, ?> lp)) {
        return NONE;
      }
      if (lp.get("content") instanceof List<?> content) {
        return chat(content);
      }
      double chosen =
          lp.get("token_logprobs") instanceof List<?> l
                  && !l.isEmpty()
                  && l.get(0) instanceof Number d
              ? d.doubleValue()
              : Double.NaN;
      List<TokenEvent.TopLogprob> top = new ArrayList<>();
      if (lp.get("top_logprobs") instanceof List<?> l
          && !l.isEmpty()
          && l.get(0) instanceof Map<?, ?> alternatives) {
        for (Map.Entry<?, ?> e : alternatives.entrySet()) {
          if (e.getValue() instanceof Number d) {
            top.add(new TokenEvent.TopLogprob(-1, String.valueOf(e.getKey()), d.doubleValue()));
          }
        }
      }
      return new Logprobs(chosen, top);
    }

    /** The chat form: {@code logprobs.content[0]} with {@code logprob} and {@code top_logprobs}. */
    private static Logprobs chat(List<?> content) {
      if (content.isEmpty() || !(content.get(0) instanceof Map<?, ?> first)) {
        return NONE;
      }
      double chosen = first.get("logprob") instanceof Number d ? d.doubleValue() : Double.NaN;
      List<TokenEvent.TopLogprob> top = new ArrayList<>();
      if (first.get("top_logprobs") instanceof List<?> alternatives) {
        for (Object a : alternatives) {
          if (a instanceof Map<?, ?> alt
              && alt.get("token") instanceof String token
              && alt.get("logprob") instanceof Number d) {
            top.add(new TokenEvent.TopLogprob(-1, token, d.doubleValue()));
          }
        }
      }
      return new Logprobs(chosen, top);
    }
  }

  private TokenEvent transportFailure(Throwable cause) {
    return switch (cause) {
      case HttpConnectTimeoutException e ->
          failed(ErrorCode.NO_HEALTHY_REPLICA, label + " did not accept a connection in time");
      case HttpTimeoutException e ->
          failed(ErrorCode.DEADLINE_EXCEEDED, label + " did not answer in time");
      case ConnectException e ->
          failed(ErrorCode.NO_HEALTHY_REPLICA, label + " is unreachable: " + e.getMessage());
      case null, default ->
          failed(
              ErrorCode.NO_HEALTHY_REPLICA,
              label + " connection failed after " + emitted + " tokens: " + cause);
    };
  }

  private TokenEvent stopped() {
    return switch (stopReason) {
      case CLIENT, DEADLINE -> finished(FinishReason.CANCELLED);
      case IDLE ->
          failed(
              ErrorCode.DEADLINE_EXCEEDED,
              label
                  + " sent nothing for "
                  + idleNanos / 1_000_000
                  + " ms after "
                  + emitted
                  + " tokens");
      case null -> failed(ErrorCode.INTERNAL, label + ": stopped without a reason");
    };
  }

  private TokenEvent finished(FinishReason reason) {
    Usage usage =
        reportedUsage != null && reason != FinishReason.CANCELLED
            ? reportedUsage
            : new Usage(estimatedPromptTokens, emitted, 0);
    double ttft = emitted == 0 ? Double.NaN : (firstTokenNanos - startNanos) / 1e6;
    double tpot = RequestTimings.tpot(firstTokenNanos, lastTokenNanos, emitted);
    return new TokenEvent.Finished(reason, usage, RequestTimings.colocated(Double.NaN, ttft, tpot));
  }

  private static TokenEvent failed(ErrorCode code, String message) {
    return new TokenEvent.Failed(code, message);
  }
}
