package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.PromptTokens;
import dev.coemesh.gateway.serve.RoutedReplanner;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Routing step 1 and the one tokenization: the CoE {@link Router} chooses the expert (a model
 * naming an expert pins it when the routing config allows overrides; {@code "auto"} or no model is
 * classified or follows the client's category hint; any other name is {@code MODEL_NOT_FOUND}),
 * then a conversation is rendered with that expert's chat format and the prompt is tokenized with
 * its tokenizer. The token ids then serve the context check, placement (step 2: prefix affinity
 * over their block hashes, the disaggregation decider on their count) and the worker, which never
 * tokenizes again.
 */
public final class ExpertResolver {
  private final ExpertDirectory experts;
  private final Router router;

  public ExpertResolver(ExpertDirectory experts, Router router) {
    this.experts = Objects.requireNonNull(experts, "experts");
    this.router = Objects.requireNonNull(router, "router");
  }

  /**
   * A request routed to its expert and tokenized.
   *
   * @param prefixRoot the request's prefix-cache scope: its tenant's, or the shared one where the
   *     expert's config says {@code prefix_cache: shared}
   * @param replanner places it on replicas (step 2), first and after each replica failure
   */
  public record Resolved(
      ExpertPool pool,
      String prompt,
      PromptTokens tokens,
      long prefixRoot,
      RoutedReplanner replanner) {}

  /**
   * @param cancelled polled while tokenizing; when it turns true the work stops with {@link
   *     java.util.concurrent.CancellationException}
   */
  public Resolved resolve(
      RequestId id, TenantId tenant, ClientRequest request, BooleanSupplier cancelled) {
    RouteRequest route =
        new RouteRequest(
            id.value(),
            routingText(request.input()),
            request.model(),
            request.hints().category(),
            request.hints().session(),
            null,
            null,
            0);
    ExpertChoice choice = router.chooseExpert(route);
    ExpertPool pool = experts.get(choice.expert());
    if (pool == null) {
      // the routing config names an expert this gateway did not start (see RoutingWiring)
      throw new MeshException(
          ErrorCode.NO_HEALTHY_REPLICA,
          "expert '" + choice.expert() + "' is routed to but not served by this gateway");
    }
    String prompt = prompt(pool, request.input());
    PromptTokens tokens = pool.tokenize(prompt, cancelled);
    long root =
        switch (router.config().expert(choice.expert()).prefixCache()) {
          case TENANT -> BlockHashes.root(tenant.value());
          case SHARED -> BlockHashes.ROOT;
        };
    RouteRequest placed =
        tokens.ids().length > 0
            ? route.withTokens(tokens.ids(), root)
            : route.withBlockHashes(new long[0], tokens.count());
    return new Resolved(pool, prompt, tokens, root, new RoutedReplanner(router, placed, choice));
  }

  /**
   * The prompt the expert completes: a text prompt as it is, a conversation rendered with the
   * expert's chat format. A conversation using what only an upstream serves (tools, images...) sent
   * to one of the mesh's own engines is refused, naming the first such parameter.
   */
  static String prompt(ExpertPool pool, PromptInput input) {
    return switch (input) {
      case PromptInput.Text t -> t.text();
      case PromptInput.Chat c -> {
        if (!c.upstreamOnly().isEmpty() && !pool.takesConversation()) {
          String param = c.upstreamOnly().getFirst();
          throw new MeshException(
              ErrorCode.UNSUPPORTED_PARAMETER,
              "'"
                  + param
                  + "' needs an expert served by an OpenAI-compatible upstream; the request was"
                  + " routed to '"
                  + pool.expert()
                  + "', which runs on the mesh's own engine (text chat only)",
              param,
              null);
        }
        yield pool.chatFormat().render(c.messages().stream().map(ChatMessage::turn).toList(), true);
      }
    };
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
