package dev.coemesh.bench;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.tokenizer.ByteLevelBpeTokenizer;
import dev.coemesh.pool.tokenizer.Llama2cTokenizerFile;
import dev.coemesh.pool.tokenizer.NaiveMerges;
import dev.coemesh.pool.tokenizer.SentencePieceTokenizer;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.util.Locale;

/** The tokenizers the benchmarks measure, by their {@code tokenizer} parameter. */
enum BenchTokenizer {
  /** The real llama2.c tokenizer of stories260K ({@code tok512.bin} in the shared models). */
  SENTENCEPIECE,
  /**
   * GPT-2-style byte-level BPE with merges learned from English-like text ({@link SyntheticBpe}).
   */
  BPE;

  /** Seed of the measured text; the BPE merges are learned from text of another seed. */
  static final long TEXT_SEED = 42;

  static BenchTokenizer of(String parameter) {
    return valueOf(parameter.toUpperCase(Locale.ROOT));
  }

  Tokenizer tokenizer() {
    return switch (this) {
      case SENTENCEPIECE -> llama2c();
      case BPE -> SyntheticBpe.english().tokenizer();
    };
  }

  /** The pre-fix quadratic merging of the same vocabulary (the tests' reference encoder). */
  NaiveMerges.Encoder baseline() {
    return switch (this) {
      case SENTENCEPIECE -> new NaiveMerges.SentencePiece(llama2c());
      case BPE -> {
        SyntheticBpe bpe = SyntheticBpe.english();
        yield new NaiveMerges.ByteLevelBpe(
            bpe.tokens(), bpe.merges(), ByteLevelBpeTokenizer.GPT2_SPLIT, -1, false);
      }
    };
  }

  /** Fails with a one-line message naming the missing folder or file. */
  private static SentencePieceTokenizer llama2c() {
    return Llama2cTokenizerFile.read(SharedModels.file(SharedModels.STORIES_260K_TOKENIZER), 512);
  }
}
