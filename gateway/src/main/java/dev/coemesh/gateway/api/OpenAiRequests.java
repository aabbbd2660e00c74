package dev.coemesh.gateway.api;

import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.pool.openai.OpenAiBodies;
import dev.coemesh.pool.openai.OpenAiRequest;

/**
 * The bodies of {@code POST /v1/chat/completions} and {@code POST /v1/completions} as the gateway's
 * requests: parsed and validated by the mesh's one OpenAI parser ({@link OpenAiBodies}, shared with
 * the workers' own OpenAI endpoint), then given the gateway's defaults (no routing hints yet: the
 * routes add the client's headers).
 */
public final class OpenAiRequests {
  /** OpenAI's limit on stop sequences. */
  public static final int MAX_STOP = OpenAiBodies.MAX_STOP;

  /** Messages in one chat request. */
  public static final int MAX_MESSAGES = OpenAiBodies.MAX_MESSAGES;

  private OpenAiRequests() {}

  public static ApiRequest chat(byte[] body) {
    return of(OpenAiBodies.chat(body));
  }

  public static ApiRequest completion(byte[] body) {
    return of(OpenAiBodies.completion(body));
  }

  private static ApiRequest of(OpenAiRequest r) {
    ClientRequest request = ClientRequest.of(r);
    return new ApiRequest(request, r.stream(), r.includeUsage());
  }
}
