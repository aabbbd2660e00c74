package dev.coemesh.gateway.serve;

/**
 * A prompt tokenized once by the gateway.
 *
 * @param ids the token ids (BOS included) for the mesh's own engines; empty for an upstream, which
 *     tokenizes itself // [count]
 * @param count prompt tokens for the context check and fair charging (an estimate for upstreams)
 */
public record PromptTokens(int[] ids, int count) {
  public PromptTokens {
    ids = ids.clone();
    if (count < 0 || (ids.length > 0 && ids.length != count)) {
      throw new IllegalArgumentException("count must equal the ids' length when ids are given");
    }
  }

  public static PromptTokens of(int[] ids) {
    return new PromptTokens(ids, ids.length);
  }
}
