package dev.coemesh.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.coemesh.core.request.Usage;

/** OpenAI's {@code usage} object. */
public record UsageBody(
    @JsonProperty("prompt_tokens") int promptTokens,
    @JsonProperty("completion_tokens") int completionTokens,
    @JsonProperty("total_tokens") int totalTokens) {

  public static UsageBody of(Usage usage) {
    return new UsageBody(usage.promptTokens(), usage.completionTokens(), usage.totalTokens());
  }
}
