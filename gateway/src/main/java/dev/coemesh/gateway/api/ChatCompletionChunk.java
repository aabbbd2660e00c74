package dev.coemesh.gateway.api;

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

  /** New text; {@code role} only on the first chunk. */
  public record Delta(
      @JsonInclude(JsonInclude.Include.NON_NULL) String role,
      @JsonInclude(JsonInclude.Include.NON_NULL) String content) {}
}
