package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import java.util.List;
import java.util.Objects;

/**
 * Turns the client's {@code model} into the backend that serves it, through the CoE {@link Router}:
 * a model naming an expert pins it (when the routing config allows overrides), {@code "auto"} or no
 * model is classified (or follows the client's category hint), and any other name is {@code
 * MODEL_NOT_FOUND}. The router also records the decision (span attributes, {@code mesh.routing}).
 */
public final class ExpertResolver {
  private final ExpertDirectory experts;
  private final Router router;

  public ExpertResolver(ExpertDirectory experts, Router router) {
    this.experts = Objects.requireNonNull(experts, "experts");
    this.router = Objects.requireNonNull(router, "router");
  }

  /** The backend of the expert the router chose for {@code request}. */
  public ExpertBackend resolve(RequestId id, ClientRequest request) {
    RouteDecision decision =
        router.route(
            new RouteRequest(
                id.value(),
                routingText(request.input()),
                request.model(),
                request.hints().category(),
                request.hints().session(),
                null,
                null,
                0));
    ExpertBackend backend = experts.get(decision.expert());
    if (backend == null) {
      // the routing config names an expert this gateway did not start (see RoutingWiring)
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA,
          "expert '" + decision.expert() + "' is routed to but not served by this gateway");
    }
    return backend;
  }

  /**
   * What the classifier reads: a completion's prompt, or a chat's last user message (the request
   * being asked now, as RouteLLM routes); a chat without user messages falls back to its last one.
   */
  static String routingText(PromptInput input) {
    return switch (input) {
      case PromptInput.Text t -> t.text();
      case PromptInput.Chat c -> {
        List<ChatMessage> messages = c.messages();
        for (int i = messages.size() - 1; i >= 0; i--) {
          if (messages.get(i).role() == Role.USER) {
            yield messages.get(i).content();
          }
        }
        yield messages.getLast().content();
      }
    };
  }
}
