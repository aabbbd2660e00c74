package dev.coemesh.pool.openai;

import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import java.util.List;

/**
 * The two generation endpoints and the bodies each answers with, so that the buffered and the
 * streamed responders share one definition of every shape.
 */
public enum ApiKind {
  /** {@code POST /v1/chat/completions} */
  CHAT,
  /** {@code POST /v1/completions} */
  COMPLETION;

  /** The response id: OpenAI's prefix and the mesh's request id. */
  public String responseId(String requestId) {
    return switch (this) {
      case CHAT -> "chatcmpl-" + requestId;
      case COMPLETION -> "cmpl-" + requestId;
    };
  }

  /**
   * The whole, non-streamed answer.
   *
   * @param toolCalls the model's tool calls (chat only; empty when none): the message's content is
   *     then null unless the model also wrote text
   */
  public Object whole(
      String id,
      long created,
      String model,
      String text,
      List<ChatCompletion.ToolCall> toolCalls,
      FinishReason reason,
      Usage usage) {
    UsageBody u = UsageBody.of(usage);
    return switch (this) {
      case CHAT ->
          new ChatCompletion(
              id,
              ChatCompletion.OBJECT,
              created,
              model,
              List.of(
                  new ChatCompletion.Choice(
                      0,
                      new ChatCompletion.Message(
                          "assistant",
                          text.isEmpty() && !toolCalls.isEmpty() ? null : text,
                          null,
                          toolCalls),
                      null,
                      reason.wireName())),
              u);
      case COMPLETION ->
          new Completion(
              id,
              Completion.OBJECT,
              created,
              model,
              List.of(new Completion.Choice(text, 0, null, reason.wireName())),
              u);
    };
  }

  /**
   * A content chunk; for chat the first one also carries {@code role: assistant}.
   *
   * @param first whether this is the stream's first chunk
   */
  public Object chunk(String id, long created, String model, String text, boolean first) {
    return switch (this) {
      case CHAT ->
          chatChunk(
              id,
              created,
              model,
              new ChatCompletionChunk.Delta(first ? "assistant" : null, text),
              null);
      case COMPLETION -> completionChunk(id, created, model, text, null);
    };
  }

  /**
   * A chat chunk with one tool-call fragment; the first chunk of the stream also carries {@code
   * role: assistant}.
   */
  public Object toolCallChunk(
      String id, long created, String model, TokenEvent.ToolCallDelta call, boolean first) {
    if (this != CHAT) {
      throw new IllegalStateException("tool calls stream in chat completions only");
    }
    ChatCompletionChunk.ToolCallFragment fragment =
        new ChatCompletionChunk.ToolCallFragment(
            call.index(),
            call.id(),
            call.id() == null ? null : "function",
            new ChatCompletionChunk.ToolCallFragment.Function(call.name(), call.arguments()));
    return chatChunk(
        id,
        created,
        model,
        new ChatCompletionChunk.Delta(first ? "assistant" : null, null, List.of(fragment)),
        null);
  }

  /** The last content chunk: no text, the finish reason. */
  public Object finishChunk(String id, long created, String model, FinishReason reason) {
    return switch (this) {
      case CHAT ->
          chatChunk(
              id, created, model, new ChatCompletionChunk.Delta(null, null), reason.wireName());
      case COMPLETION -> completionChunk(id, created, model, "", reason.wireName());
    };
  }

  /** The {@code include_usage} chunk: no choices, the usage. */
  public Object usageChunk(String id, long created, String model, Usage usage) {
    return switch (this) {
      case CHAT ->
          new ChatCompletionChunk(
              id, ChatCompletionChunk.OBJECT, created, model, List.of(), UsageBody.of(usage));
      case COMPLETION ->
          new Completion(id, Completion.OBJECT, created, model, List.of(), UsageBody.of(usage));
    };
  }

  private static ChatCompletionChunk chatChunk(
      String id, long created, String model, ChatCompletionChunk.Delta delta, String finish) {
    return new ChatCompletionChunk(
        id,
        ChatCompletionChunk.OBJECT,
        created,
        model,
        List.of(new ChatCompletionChunk.Choice(0, delta, null, finish)),
        null);
  }

  private static Completion completionChunk(
      String id, long created, String model, String text, String finish) {
    return new Completion(
        id,
        Completion.OBJECT,
        created,
        model,
        List.of(new Completion.Choice(text, 0, null, finish)),
        null);
  }
}
