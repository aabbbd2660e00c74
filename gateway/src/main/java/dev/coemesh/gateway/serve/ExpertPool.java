package dev.coemesh.gateway.serve;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.worker.client.Replanner;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One expert as the gateway serves it: its tokenizer and context (the gateway tokenizes once, with
 * the expert the router chose in step 1), its capacity for fair admission, and the execution of the
 * router's placement on its replicas: in-process engines, remote worker processes, or an upstream.
 *
 * <p>Thread-safe. {@link #submit} does not block and follows {@link ExpertBackend#submit}'s event
 * contract (tokens, then one {@code Finished} or {@code Failed}).
 */
public sealed interface ExpertPool extends AutoCloseable
    permits EmbeddedPool, RemotePool, UpstreamPool {

  ExpertId expert();

  /** Maximum prompt plus generated tokens of one sequence. */
  int contextLength();

  /**
   * The prompt as the expert's model sees it, with work bounded by the context (a prompt too long
   * by its length alone gets a lower bound, not tokenized; see {@link BoundedTokenizer}).
   *
   * @param cancelled polled during long work; when it turns true the work stops with {@link
   *     java.util.concurrent.CancellationException}
   */
  PromptTokens tokenize(String prompt, BooleanSupplier cancelled);

  /**
   * How this expert's model wants a conversation rendered: its own chat template, or {@link
   * ChatFormat#PLAIN}. An upstream renders with its own template; its format here only serves to
   * count the prompt.
   */
  ChatFormat chatFormat();

  /**
   * Whether this expert receives a chat request's conversation as the client sent it ({@link
   * dev.coemesh.core.request.GenerationRequest#chat}), tools and all, rather than the rendered
   * prompt: true for an OpenAI-compatible upstream.
   */
  default boolean takesConversation() {
    return false;
  }

  /** The pool's capacity now, summed over its live replicas. */
  ExpertBackend.Capacity capacity();

  /**
   * Runs {@code request} exactly where {@code placement} says; on a replica failure, {@code
   * replanner} (the router) names the replacement.
   */
  ExpertBackend.Generation submit(
      Placement placement,
      GenerationRequest request,
      Replanner replanner,
      Consumer<TokenEvent> sink);

  @Override
  void close();
}
