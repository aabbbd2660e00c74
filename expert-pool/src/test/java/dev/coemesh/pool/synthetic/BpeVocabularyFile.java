package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.tokenizer.SpecialTokens;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a vocabulary-only GGUF file of a byte-level BPE tokenizer ({@code tokenizer.ggml.model =
 * gpt2}), as llama.cpp ships them for its tokenizer tests: metadata only, no tensors, so that the
 * same vocabulary can be tokenized by this engine and by llama.cpp's {@code llama-tokenize}. The
 * shape keys of a tiny Llama are included because llama.cpp reads them even for a vocabulary.
 */
public final class BpeVocabularyFile {
  /** GGUF {@code tokenizer.ggml.token_type}: an ordinary token. */
  private static final int NORMAL = 1;

  private BpeVocabularyFile() {}

  /**
   * @param pre the {@code tokenizer.ggml.pre} name (which pre-tokenizer splits the text)
   * @param tokens vocabulary in byte-to-unicode form
   * @param merges merge rules {@code "left right"}, highest priority first
   * @param control ids of the control tokens, which include {@code bos} and {@code eos}
   */
  public static void write(
      Path path,
      String pre,
      List<String> tokens,
      List<String> merges,
      Set<Integer> control,
      int bos,
      int eos)
      throws IOException {
    int[] types = new int[tokens.size()];
    for (int i = 0; i < types.length; i++) {
      types[i] = control.contains(i) ? SpecialTokens.CONTROL : NORMAL;
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("general.architecture", "llama");
    meta.put("general.name", "synthetic-bpe-" + pre);
    meta.put("llama.context_length", 64);
    meta.put("llama.embedding_length", 64);
    meta.put("llama.feed_forward_length", 96);
    meta.put("llama.attention.head_count", 4);
    meta.put("llama.block_count", 1);
    meta.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    meta.put("tokenizer.ggml.model", "gpt2");
    meta.put("tokenizer.ggml.pre", pre);
    meta.put("tokenizer.ggml.tokens", tokens.toArray(String[]::new));
    meta.put("tokenizer.ggml.token_type", types);
    meta.put("tokenizer.ggml.merges", merges.toArray(String[]::new));
    meta.put("tokenizer.ggml.bos_token_id", bos);
    meta.put("tokenizer.ggml.eos_token_id", eos);
    meta.put("tokenizer.ggml.add_bos_token", false);
    try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(path))) {
      GgufWriter w = new GgufWriter(raw);
      w.header(0, meta.size());
      for (Map.Entry<String, Object> e : meta.entrySet()) {
        w.keyValue(e.getKey(), e.getValue());
      }
      w.padToAlignment();
    }
  }
}
