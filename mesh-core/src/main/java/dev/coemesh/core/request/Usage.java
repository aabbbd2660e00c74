package dev.coemesh.core.request;

/** Token counts of one request, as billed and as charged to the tenant's fair-share counter. */
public record Usage(int promptTokens, int completionTokens, int cachedPromptTokens) {
  public Usage {
    if (promptTokens < 0 || completionTokens < 0 || cachedPromptTokens < 0) {
      throw new IllegalArgumentException("token counts must be >= 0");
    }
    if (cachedPromptTokens > promptTokens) {
      throw new IllegalArgumentException("cached prompt tokens exceed prompt tokens");
    }
  }

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
