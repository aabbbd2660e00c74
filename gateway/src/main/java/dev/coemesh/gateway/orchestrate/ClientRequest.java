package dev.coemesh.gateway.orchestrate;

import java.util.List;
import java.util.Objects;

/**
 * One generation as a client asked for it, protocol-independent and syntactically valid; semantic
 * checks that need the model (context length) happen in the {@link RequestOrchestrator}.
 *
 * @param model an expert id, or null for "route it" ({@code "auto"} or absent)
 * @param maxTokens generated tokens at most, or 0 for the gateway's default
 * @param temperature 0 for greedy
 * @param topP nucleus mass in (0, 1]
 * @param seed sampling seed; null for a fresh random one
 * @param stop strings that end the generation (not included in the output)
 */
public record ClientRequest(
    String model,
    PromptInput input,
    int maxTokens,
    double temperature,
    double topP,
    Long seed,
    List<String> stop) {

  /** The routing alias: the router picks the expert. */
  public static final String AUTO = "auto";

  public ClientRequest {
    Objects.requireNonNull(input, "input");
    stop = List.copyOf(stop);
    if (AUTO.equals(model)) {
      model = null;
    }
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0");
    }
  }
}
