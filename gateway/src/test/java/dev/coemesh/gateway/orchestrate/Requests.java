package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.tenant.Priority;
import dev.coemesh.pool.openai.PromptInput;
import java.util.List;

/** Client requests as the orchestrator's tests send them. */
public final class Requests {
  private Requests() {}

  /** An interactive greedy request with no routing hints; a null model is routed. */
  public static ClientRequest greedy(
      String model, PromptInput input, int maxTokens, List<String> stop) {
    return new ClientRequest(
        model, input, maxTokens, 0, 1, null, stop, RoutingHints.NONE, null, Priority.INTERACTIVE);
  }
}
