package dev.coemesh.pool.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The body of a non-streamed chat completion ({@code "object": "chat.completion"}). */
public record ChatCompletion(
    String id, String object, long created, String model, List<Choice> choices, UsageBody usage) {

  public static final String OBJECT = "chat.completion";

  /** One choice; {@code logprobs} is always null (not supported). */
  public record Choice(
      int index,
      Message message,
      Object logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /**
   * The assistant's message; {@code refusal} is always null. A message that only calls tools has
   * null content, as OpenAI's.
   *
   * @param toolCalls the calls the model made (an upstream given {@code tools}), omitted when none
   */
  public record Message(
      String role,
      String content,
      Object refusal,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) @JsonProperty("tool_calls")
          List<ToolCall> toolCalls) {}

  /** One whole tool call: {@code {"id", "type": "function", "function": {"name", "arguments"}}}. */
  public record ToolCall(String id, String type, Function function) {

    /** The function called and its arguments, a JSON text. */
    public record Function(String name, String arguments) {}
  }
}
