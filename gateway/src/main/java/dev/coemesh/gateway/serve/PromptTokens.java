package dev.coemesh.gateway.serve;

/**
 * A prompt tokenized once by the gateway.
 *
 * @param ids the token ids (BOS included) for the mesh's own engines; empty for an upstream, which
 *     tokenizes itself, and for a prompt known to exceed the context without tokenizing it
 * @param count prompt tokens for the context check and fair charging (an estimate for upstreams)
 * @param lowerBound whether {@code count} is only a lower bound: the prompt was too long for the
 *     context by its length alone, so it was not tokenized
 */
public record PromptTokens(int[] ids, int count, boolean lowerBound) {
  public PromptTokens {
    ids = ids.clone();
    if (count < 0 || (ids.length > 0 && ids.length != count)) {
      throw new IllegalArgumentException("count must equal the ids' length when ids are given");
    }
    if (lowerBound && ids.length > 0) {
      throw new IllegalArgumentException("a lower bound has no ids");
    }
  }

  /** An upstream's estimate: no ids. */
  public PromptTokens(int[] ids, int count) {
    this(ids, count, false);
  }

  public static PromptTokens of(int[] ids) {
    return new PromptTokens(ids, ids.length, false);
  }

  /** A prompt of at least {@code count} tokens, not tokenized. */
  public static PromptTokens atLeast(int count) {
    return new PromptTokens(new int[0], count, true);
  }
}
