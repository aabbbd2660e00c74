package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.tenant.Priority;
import dev.coemesh.pool.openai.OpenAiRequest;
import dev.coemesh.pool.openai.PromptInput;
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
 * @param hints the client's category hint and session for the router
 * @param endUser the end-user id the client sent (OpenAI's {@code user}), or null; recorded on the
 *     request's span for abuse tracing, never used to route
 * @param priority interactive or batch within the tenant's fair share ({@code x-mesh-priority},
 *     {@code x-gateway-inference-objective} or the tenant's default)
 */
public record ClientRequest(
    String model,
    PromptInput input,
    int maxTokens,
    double temperature,
    double topP,
    Long seed,
    List<String> stop,
    RoutingHints hints,
    String endUser,
    Priority priority) {

  /** The longest end-user id accepted (OpenAI's {@code user} is an opaque id). */
  public static final int MAX_END_USER_CHARS = OpenAiRequest.MAX_END_USER_CHARS;

  /** The routing alias: the router picks the expert. */
  public static final String AUTO = "auto";

  public ClientRequest {
    Objects.requireNonNull(input, "input");
    stop = List.copyOf(stop);
    hints = hints == null ? RoutingHints.NONE : hints;
    priority = priority == null ? Priority.INTERACTIVE : priority;
    if (AUTO.equals(model)) {
      model = null;
    }
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0");
    }
    if (endUser != null && endUser.length() > MAX_END_USER_CHARS) {
      throw new IllegalArgumentException("endUser longer than " + MAX_END_USER_CHARS);
    }
  }

  /** What an OpenAI body asks for: interactive, no routing hints until the headers add them. */
  public static ClientRequest of(OpenAiRequest r) {
    return new ClientRequest(
        r.model(),
        r.input(),
        r.maxTokens(),
        r.temperature(),
        r.topP(),
        r.seed(),
        r.stop(),
        RoutingHints.NONE,
        r.endUser(),
        Priority.INTERACTIVE);
  }

  public ClientRequest withHints(RoutingHints value) {
    return new ClientRequest(
        model, input, maxTokens, temperature, topP, seed, stop, value, endUser, priority);
  }

  public ClientRequest withPriority(Priority value) {
    return new ClientRequest(
        model, input, maxTokens, temperature, topP, seed, stop, hints, endUser, value);
  }
}
