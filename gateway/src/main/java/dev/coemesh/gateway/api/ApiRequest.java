package dev.coemesh.gateway.api;

import dev.coemesh.gateway.orchestrate.ClientRequest;
import java.util.Objects;

/**
 * A parsed OpenAI request: the generation plus how to deliver it.
 *
 * @param stream answer as server-sent events
 * @param includeUsage with {@code stream}: send a last chunk holding {@code usage} ({@code
 *     stream_options.include_usage})
 */
public record ApiRequest(ClientRequest request, boolean stream, boolean includeUsage) {
  public ApiRequest {
    Objects.requireNonNull(request, "request");
    if (includeUsage && !stream) {
      throw new IllegalArgumentException("includeUsage needs stream");
    }
  }
}
