package dev.coemesh.pool.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.coemesh.core.request.Usage;

/**
 * OpenAI's {@code usage} object, with {@code prompt_tokens_details.cached_tokens}: the prompt
 * tokens the serving replica took from its prefix cache instead of computing them.
 */
public record UsageBody(
    @JsonProperty("prompt_tokens") int promptTokens,
    @JsonProperty("completion_tokens") int completionTokens,
    @JsonProperty("total_tokens") int totalTokens,
    @JsonProperty("prompt_tokens_details") PromptTokensDetails promptTokensDetails) {

  /** OpenAI's breakdown of the prompt tokens. */
  public record PromptTokensDetails(@JsonProperty("cached_tokens") int cachedTokens) {}

  public static UsageBody of(Usage usage) {
    return new UsageBody(
        usage.promptTokens(),
        usage.completionTokens(),
        usage.totalTokens(),
        new PromptTokensDetails(usage.cachedPromptTokens()));
  }
}
