package dev.coemesh.pool.model;

import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.util.Objects;

/**
 * A loaded model: shape, weights, its tokenizer, the fingerprint of its weights, and how a chat
 * becomes its prompt.
 *
 * @param chatFormat the model's own chat template (a GGUF file's {@code tokenizer.chat_template}),
 *     else {@link ChatFormat#PLAIN}
 */
public record Model(
    String name,
    ModelConfig config,
    ModelWeights weights,
    Tokenizer tokenizer,
    ModelFingerprint fingerprint,
    ChatFormat chatFormat) {

  /** A model without a chat template of its own (llama2.c files): {@link ChatFormat#PLAIN}. */
  public Model(
      String name,
      ModelConfig config,
      ModelWeights weights,
      Tokenizer tokenizer,
      ModelFingerprint fingerprint) {
    this(name, config, weights, tokenizer, fingerprint, ChatFormat.PLAIN);
  }

  public Model {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(tokenizer, "tokenizer");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(chatFormat, "chatFormat");
    if (tokenizer.vocabularySize() != config.vocabSize()) {
      throw new IllegalArgumentException(
          "tokenizer has " + tokenizer.vocabularySize() + " tokens, model " + config.vocabSize());
    }
  }
}
