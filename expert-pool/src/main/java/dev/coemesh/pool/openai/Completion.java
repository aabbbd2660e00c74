package dev.coemesh.pool.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A legacy completion ({@code "object": "text_completion"}), whole or as one streamed chunk; in a
 * stream {@code usage} appears only on the {@code include_usage} chunk.
 */
public record Completion(
    String id,
    String object,
    long created,
    String model,
    List<Choice> choices,
    @JsonInclude(JsonInclude.Include.NON_NULL) UsageBody usage) {

  public static final String OBJECT = "text_completion";

  /** One choice; {@code logprobs} is always null (not supported). */
  public record Choice(
      String text,
      int index,
      Object logprobs,
      @JsonProperty("finish_reason") String finishReason) {}
}
