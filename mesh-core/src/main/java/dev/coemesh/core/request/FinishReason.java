package dev.coemesh.core.request;

/** Why a sequence stopped; the names are OpenAI's {@code finish_reason} values. */
public enum FinishReason {
  /** An end-of-sequence token, a stop token id or a stop string. */
  STOP,
  /** {@code max_tokens} reached, or the model's context is full. */
  LENGTH,
  /** The model called tools (an upstream expert given {@code tools}); the output is the calls. */
  TOOL_CALLS,
  /** Cancelled by the client or by a deadline. */
  CANCELLED;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
