package dev.coemesh.gateway.serve;

import dev.coemesh.pool.tokenizer.Tokenizer;
import java.util.function.BooleanSupplier;

/**
 * The gateway's one tokenization of a prompt, with its work bounded by the expert's context before
 * it starts: a token covers at most {@link #maxTokenBytes} UTF-8 bytes of text, and a UTF-16 char
 * is at least one byte, so a prompt of {@code n} chars has at least {@code ceil(n / maxTokenBytes)}
 * tokens. A prompt whose lower bound already fills the context is answered with that bound and
 * never tokenized. That is exact (it never refuses a prompt that fits), and the work of a prompt
 * that is tokenized is at most {@code context * maxTokenBytes} characters.
 */
final class BoundedTokenizer {
  private final Tokenizer tokenizer;
  private final int contextLength;
  private final int maxTokenBytes;

  BoundedTokenizer(Tokenizer tokenizer, int contextLength) {
    this.tokenizer = tokenizer;
    this.contextLength = contextLength;
    this.maxTokenBytes = maxTokenBytes(tokenizer);
  }

  /** The longest text one token of the vocabulary stands for, in UTF-8 bytes (at least 1). */
  static int maxTokenBytes(Tokenizer tokenizer) {
    int longest = 1;
    for (int id = 0; id < tokenizer.vocabularySize(); id++) {
      longest = Math.max(longest, tokenizer.tokenBytes(-1, id).length);
    }
    return longest;
  }

  /**
   * The prompt's token ids with BOS; or, for a prompt that cannot fit the context, only a lower
   * bound of its token count (see {@link PromptTokens#lowerBound}).
   *
   * @param cancelled polled while tokenizing; when it turns true the work stops with {@link
   *     java.util.concurrent.CancellationException}
   */
  PromptTokens tokenize(String prompt, BooleanSupplier cancelled) {
    long atLeast = 1 + ((long) prompt.length() + maxTokenBytes - 1) / maxTokenBytes;
    if (atLeast >= contextLength) {
      return PromptTokens.atLeast((int) Math.min(atLeast, Integer.MAX_VALUE));
    }
    return PromptTokens.of(tokenizer.encode(prompt, true, cancelled));
  }
}
