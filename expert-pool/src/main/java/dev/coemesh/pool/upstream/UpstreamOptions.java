package dev.coemesh.pool.upstream;

import dev.coemesh.core.expert.ExpertId;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * One OpenAI-compatible upstream (vLLM, llama.cpp's server, SGLang...) serving an expert.
 *
 * @param baseUrl the server root or its API base, e.g. {@code http://10.0.0.5:8000} or {@code
 *     http://10.0.0.5:8000/v1}
 * @param model the upstream's own model name, sent in {@code model}
 * @param apiKey sent as {@code Authorization: Bearer}; empty for none
 * @param contextLength the upstream model's context in tokens (prompt plus generated)
 * @param maxConcurrent requests forwarded at once; the fair scheduler keeps the rest queued
 * @param connectTimeout to open a connection
 * @param headersTimeout from sending the request until the response headers arrive (the upstream's
 *     queueing and prefill)
 * @param idleTimeout the longest silence between two stream events once streaming
 */
public record UpstreamOptions(
    ExpertId expert,
    URI baseUrl,
    String model,
    String apiKey,
    int contextLength,
    int maxConcurrent,
    Duration connectTimeout,
    Duration headersTimeout,
    Duration idleTimeout) {

  public UpstreamOptions {
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(baseUrl, "baseUrl");
    String scheme = baseUrl.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme) || baseUrl.getHost() == null) {
      throw new IllegalArgumentException(
          "upstream " + expert + ": base URL must be http(s)://host[:port], was " + baseUrl);
    }
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("upstream " + expert + ": model must not be blank");
    }
    apiKey = apiKey == null ? "" : apiKey;
    if (contextLength < 2 || maxConcurrent < 1) {
      throw new IllegalArgumentException(
          "upstream " + expert + ": context length >= 2 and max concurrent >= 1 required");
    }
    for (Duration d : new Duration[] {connectTimeout, headersTimeout, idleTimeout}) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("upstream " + expert + ": timeouts must be > 0");
      }
    }
  }

  /** Defaults for a loopback or same-zone upstream: 2 s connect, 60 s to headers, 30 s idle. */
  public static UpstreamOptions of(
      ExpertId expert, URI baseUrl, String model, int contextLength, int maxConcurrent) {
    return new UpstreamOptions(
        expert,
        baseUrl,
        model,
        "",
        contextLength,
        maxConcurrent,
        Duration.ofSeconds(2),
        Duration.ofSeconds(60),
        Duration.ofSeconds(30));
  }

  /** {@code /v1/completions} under the root; a base that already ends in {@code /v1} is kept. */
  URI completionsUri() {
    return endpoint("/completions");
  }

  /** {@code /v1/chat/completions} under the root, likewise. */
  URI chatCompletionsUri() {
    return endpoint("/chat/completions");
  }

  private URI endpoint(String path) {
    String root = baseUrl.toString();
    root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    return URI.create(root + (root.endsWith("/v1") ? "" : "/v1") + path);
  }
}
