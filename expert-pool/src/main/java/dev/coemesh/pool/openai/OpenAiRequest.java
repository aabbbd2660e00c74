package dev.coemesh.pool.openai;

import java.util.List;
import java.util.Objects;

/**
 * One OpenAI completion or chat request as its body gave it, validated ({@link OpenAiBodies}): what
 * every server of the OpenAI API in the mesh (the gateway, a worker pod) needs to run it.
 *
 * @param model the model the client named, as sent (null when absent)
 * @param maxTokens generated tokens at most, or 0 when the client left it to the server
 * @param temperature 0 for greedy
 * @param topP nucleus mass in (0, 1]
 * @param seed sampling seed; null for a fresh random one
 * @param stop strings that end the generation (not included in the output)
 * @param endUser OpenAI's {@code user}, or null
 * @param stream answer as server-sent events
 * @param includeUsage with {@code stream}: a last chunk holding {@code usage}
 */
public record OpenAiRequest(
    String model,
    PromptInput input,
    int maxTokens,
    double temperature,
    double topP,
    Long seed,
    List<String> stop,
    String endUser,
    boolean stream,
    boolean includeUsage) {

  /** The longest end-user id accepted (OpenAI's {@code user} is an opaque id). */
  public static final int MAX_END_USER_CHARS = 256;

  public OpenAiRequest {
    Objects.requireNonNull(input, "input");
    stop = List.copyOf(stop);
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0");
    }
    if (includeUsage && !stream) {
      throw new IllegalArgumentException("includeUsage needs stream");
    }
  }
}
