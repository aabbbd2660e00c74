package dev.coemesh.pool.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One server-sent event of a streamed chat completion ({@code "object": "chat.completion.chunk"}).
 * {@code usage} appears only on the extra last chunk that {@code stream_options.include_usage} asks
 * for, whose {@code choices} is empty.
 */
public record ChatCompletionChunk(
    String id,
    String object,
    long created,
    String model,
    List<Choice> choices,
    @JsonInclude(JsonInclude.Include.NON_NULL) UsageBody usage) {

  public static final String OBJECT = "chat.completion.chunk";

  /** A choice's increment; {@code finish_reason} is null until the last content chunk. */
  public record Choice(
      int index,
      Delta delta,
      Object logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /**
   * New text or a fragment of a tool call; {@code role} only on the first chunk.
   *
   * @param toolCalls fragments of the model's tool calls (an upstream given {@code tools}), else
   *     null
   */
  public record Delta(
      @JsonInclude(JsonInclude.Include.NON_NULL) String role,
      @JsonInclude(JsonInclude.Include.NON_NULL) String content,
      @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("tool_calls")
          List<ToolCallFragment> toolCalls) {
    public Delta(String role, String content) {
      this(role, content, null);
    }
  }

  /**
   * OpenAI's {@code delta.tool_calls[]}: the first fragment of call {@code index} has its id, type
   * and function name; later ones append to the arguments.
   */
  public record ToolCallFragment(
      int index,
      @JsonInclude(JsonInclude.Include.NON_NULL) String id,
      @JsonInclude(JsonInclude.Include.NON_NULL) String type,
      Function function) {

    /** The function's name (first fragment only) and the next piece of its arguments. */
    public record Function(
        @JsonInclude(JsonInclude.Include.NON_NULL) String name, String arguments) {}
  }
}
