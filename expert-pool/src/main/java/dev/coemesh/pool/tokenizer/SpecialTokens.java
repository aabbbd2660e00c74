package dev.coemesh.pool.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A vocabulary's special tokens as they appear in text. A chat template writes control tokens as
 * text ({@code <|im_start|>}, {@code <|begin_of_text|>}, {@code <s>}); their exact text in the
 * input must become that one token, not the pieces of its characters, as llama.cpp tokenizes with
 * {@code parse_special}. {@link #split} cuts a text into plain spans, which the tokenizer encodes
 * as before, and the special tokens between them: at each position the longest special text that
 * starts there wins, from left to right.
 *
 * <p>Which tokens: GGUF {@code tokenizer.ggml.token_type} CONTROL (3) and USER_DEFINED (4), and
 * UNKNOWN (2) as llama.cpp also matches it. Control tokens decode to nothing (they are markers, not
 * text); user-defined ones decode to their text. Immutable and thread-safe.
 */
public final class SpecialTokens {
  /** GGUF token types ({@code llama_token_type}). */
  public static final int UNKNOWN = 2;

  public static final int CONTROL = 3;
  public static final int USER_DEFINED = 4;

  public static final SpecialTokens NONE = new SpecialTokens(Map.of(), Set.of());

  private static final String[] NO_CANDIDATES = new String[0];

  private final Map<String, Integer> ids;
  private final Set<Integer> tokens;
  private final Set<Integer> silent;
  private final String[][] asciiCandidates = new String[128][]; // [first char] longest first
  private final Map<Character, String[]> otherCandidates = new HashMap<>();

  /**
   * @param ids the text of each special token and its id (empty texts are ignored)
   * @param silent the ids decoded to nothing (the control tokens)
   */
  public SpecialTokens(Map<String, Integer> ids, Set<Integer> silent) {
    Map<String, Integer> nonEmpty = new HashMap<>();
    ids.forEach(
        (text, id) -> {
          if (!text.isEmpty()) {
            nonEmpty.putIfAbsent(text, id);
          }
        });
    this.ids = Map.copyOf(nonEmpty);
    this.tokens = Set.copyOf(this.ids.values());
    this.silent = Set.copyOf(silent);
    Map<Character, List<String>> byFirst = new HashMap<>();
    for (String text : this.ids.keySet()) {
      byFirst.computeIfAbsent(text.charAt(0), c -> new ArrayList<>()).add(text);
    }
    Arrays.fill(asciiCandidates, NO_CANDIDATES);
    byFirst.forEach(
        (first, texts) -> {
          String[] sorted =
              texts.stream()
                  .sorted(Comparator.comparingInt(String::length).reversed())
                  .toArray(String[]::new);
          if (first < 128) {
            asciiCandidates[first] = sorted;
          } else {
            otherCandidates.put(first, sorted);
          }
        });
  }

  /**
   * The special tokens of a GGUF vocabulary: control, user-defined and unknown tokens by {@code
   * tokenizer.ggml.token_type}, matched by their text as stored.
   */
  public static SpecialTokens fromTypes(String[] tokens, long[] types) {
    if (types == null) {
      return NONE;
    }
    Map<String, Integer> ids = new HashMap<>();
    Set<Integer> silent = new HashSet<>();
    for (int i = 0; i < Math.min(tokens.length, types.length); i++) {
      int type = (int) types[i];
      if (type == CONTROL || type == USER_DEFINED || type == UNKNOWN) {
        ids.putIfAbsent(tokens[i], i);
      }
      if (type == CONTROL) {
        silent.add(i);
      }
    }
    return ids.isEmpty() && silent.isEmpty() ? NONE : new SpecialTokens(ids, silent);
  }

  /**
   * {@code ids} with {@code bosId} first when {@code bos} asks for it, unless they already begin
   * with it: a text that starts with the BOS token's text (a rendered chat template) has its BOS.
   */
  static int[] withBos(int[] ids, boolean bos, int bosId) {
    if (!bos || (ids.length > 0 && ids[0] == bosId)) {
      return ids;
    }
    int[] withBos = new int[ids.length + 1];
    withBos[0] = bosId;
    System.arraycopy(ids, 0, withBos, 1, ids.length);
    return withBos;
  }

  public boolean isEmpty() {
    return ids.isEmpty();
  }

  /** Whether {@code token} is one of these special tokens, found in text by its text as stored. */
  public boolean contains(int token) {
    return tokens.contains(token);
  }

  /** Whether {@code token} decodes to nothing. */
  public boolean isSilent(int token) {
    return silent.contains(token);
  }

  /** The id of the special token spelled exactly {@code text}, or -1. */
  public int id(String text) {
    return ids.getOrDefault(text, -1);
  }

  /** Receives the parts of a text in order. */
  interface Parts {
    /** The plain text {@code text[start, end)}, never empty. */
    void text(int start, int end);

    void special(int id);
  }

  /** Cuts {@code text} into plain spans and special tokens, in order. */
  void split(String text, CancellationPoll poll, Parts parts) {
    int plainStart = 0;
    for (int i = 0; i < text.length(); ) {
      poll.tick();
      char c = text.charAt(i);
      String[] candidates =
          c < 128 ? asciiCandidates[c] : otherCandidates.getOrDefault(c, NO_CANDIDATES);
      String match = null;
      for (String candidate : candidates) {
        if (text.startsWith(candidate, i)) {
          match = candidate;
          break;
        }
      }
      if (match == null) {
        i++;
        continue;
      }
      if (plainStart < i) {
        parts.text(plainStart, i);
      }
      parts.special(ids.get(match));
      i += match.length();
      plainStart = i;
    }
    if (plainStart < text.length()) {
      parts.text(plainStart, text.length());
    }
  }
}
