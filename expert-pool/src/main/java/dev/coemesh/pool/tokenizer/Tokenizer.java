package dev.coemesh.pool.tokenizer;

import dev.coemesh.core.request.GenerationRequest;
import java.util.function.BooleanSupplier;

/**
 * Text to token ids and back. Implementations are immutable and thread-safe.
 *
 * <p>Decoding is byte-oriented because one token may hold part of a UTF-8 character: {@link
 * #tokenBytes} gives a token's bytes in context, and {@link Utf8Accumulator} turns a stream of them
 * into whole characters.
 */
public interface Tokenizer {

  /** Token ids of {@code text}, with the beginning-of-sequence token first when {@code bos}. */
  default int[] encode(String text, boolean bos) {
    return encode(text, bos, () -> false);
  }

  /**
   * Token ids of {@code text}, with the beginning-of-sequence token first when {@code bos}; the
   * work is O(n log n) in the length of the text. {@code cancelled} is polled every few thousand
   * units of work (characters, bytes, words, merges), from the calling thread only, so the caller
   * can stop a long tokenization whose result nobody waits for any more.
   *
   * @throws java.util.concurrent.CancellationException ("tokenization cancelled") when a poll of
   *     {@code cancelled} returns true
   */
  int[] encode(String text, boolean bos, BooleanSupplier cancelled);

  /**
   * The token ids of a request's prompt: the ids the gateway already computed when it tokenized
   * (the mesh tokenizes once and carries the ids), else this tokenizer's encoding with BOS.
   */
  default int[] prompt(GenerationRequest request) {
    return request.tokenized() ? request.promptTokens() : encode(request.prompt(), true);
  }

  /** The bytes token {@code token} adds after token {@code previous} (-1 at the start). */
  byte[] tokenBytes(int previous, int token);

  int bosId();

  int eosId();

  int vocabularySize();

  /** Whether {@code token} ends generation by itself (end of sequence, or BOS for llama2.c). */
  boolean isEndOfSequence(int token);

  /** The text of a whole token sequence (tests, logs). */
  default String decode(int[] tokens) {
    Utf8Accumulator text = new Utf8Accumulator();
    StringBuilder out = new StringBuilder();
    int previous = -1;
    for (int token : tokens) {
      out.append(text.append(tokenBytes(previous, token)));
      previous = token;
    }
    return out.append(text.flush()).toString();
  }
}
