package dev.coemesh.gateway.api;

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

  /** The assistant's message; {@code refusal} is always null. */
  public record Message(String role, String content, Object refusal) {}
}
