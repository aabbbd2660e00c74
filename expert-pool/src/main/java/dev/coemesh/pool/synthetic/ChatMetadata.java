package dev.coemesh.pool.synthetic;

import java.util.List;
import java.util.Objects;

/**
 * Chat metadata for a synthetic GGUF file: a {@code tokenizer.chat_template}, and the control
 * tokens that template writes ({@code <|im_start|>}, {@code <|im_end|>}), which take the last ids
 * of the vocabulary in place of filler pieces (so the weights stay the same). With it the file also
 * records {@code tokenizer.ggml.token_type}: BOS and EOS and these tokens as CONTROL, the byte
 * pieces as BYTE.
 *
 * @param template the Jinja source, or null for none
 * @param controlTokens the control tokens' texts, in id order
 */
public record ChatMetadata(String template, List<String> controlTokens) {
  public static final ChatMetadata NONE = new ChatMetadata(null, List.of());

  public ChatMetadata {
    controlTokens = List.copyOf(Objects.requireNonNull(controlTokens, "controlTokens"));
  }

  boolean isNone() {
    return template == null && controlTokens.isEmpty();
  }
}
