package dev.coemesh.pool.model;

import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.util.Objects;

/** A loaded model: shape, weights, its tokenizer and the fingerprint of its weights. */
public record Model(
    String name,
    ModelConfig config,
    ModelWeights weights,
    Tokenizer tokenizer,
    ModelFingerprint fingerprint) {
  public Model {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(tokenizer, "tokenizer");
    Objects.requireNonNull(fingerprint, "fingerprint");
    if (tokenizer.vocabularySize() != config.vocabSize()) {
      throw new IllegalArgumentException(
          "tokenizer has " + tokenizer.vocabularySize() + " tokens, model " + config.vocabSize());
    }
  }
}
