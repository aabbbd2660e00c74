package dev.coemesh.pool.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.model.GgufLoader;
import dev.coemesh.pool.synthetic.BpeVocabularyFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each pre-tokenizer cuts a fixed multilingual text as llama.cpp does: a synthetic byte-level BPE
 * vocabulary, written as a GGUF file naming the pre-tokenizer, tokenizes {@link #TEXT} into the ids
 * that llama.cpp's {@code llama-tokenize} gave for the same file (fixtures and how they were made:
 * {@code src/test/resources/pretokenizer/README.md}). The vocabulary's merges are learned from the
 * text without any pre-tokenization, so they cross spaces, punctuation, digits and script changes,
 * and only the right cuts give the right ids.
 */
class PreTokenizerTest {
  /**
   * English with upper-case contractions, accented Latin (precomposed and with a combining accent),
   * Greek, Cyrillic, Japanese, Chinese, Korean with CJK punctuation, emoji with a skin tone, digit
   * runs, a no-break space, and code with tabs, runs of spaces, CRLF and blank lines.
   */
  static final String TEXT =
      "Hello world! It's a TEST: we'LL see what'S THEIR cafe\u0301 \u2014 na\u00efve fa\u00e7ade,"
          + " \u00c6r\u00f8sk\u00f8bing. \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac"
          + " \u03ba\u03b5\u03af\u03bc\u03b5\u03bd\u03b1, \u041f\u0440\u0438\u0432\u0435\u0442,"
          + " \u043c\u0438\u0440! \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068"
          + "\u4e2d\u6587\u6587\u672c\uff0c\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\u3002"
          + " Emoji \ud83d\ude42\ud83d\ude80\ud83d\udc4d\ud83c\udffd and 1234567 or 3.14159,"
          + " 2025-02-07, 100\u00a0km\n\ndef f(x):\n\tif x  >=  10:\n\t\treturn x**2  # square\n"
          + "    else:   \r\n        return None\n\n\n   trailing   ";

  /** Pieces that become tokens of their own without a merge path to them (Llama 3 takes them). */
  private static final List<String> WHOLE_PIECES =
      List.of(
          "Hello", " world", " fa\u00e7ade", " \u041f\u0440\u0438\u0432\u0435\u0442", "1234567");

  private static final int MERGES = 300;

  @ParameterizedTest
  @ValueSource(
      strings = {"default", "gpt-2", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder"})
  void tokenizesTheMultilingualTextAsLlamaCppDoes(String pre, @TempDir Path dir)
      throws IOException {
    Path file = dir.resolve(pre + ".gguf");
    writeVocabulary(file, pre);
    Tokenizer tokenizer = GgufLoader.tokenizer(file);
    int[] ids = tokenizer.encode(TEXT, false);
    assertArrayEquals(fixture(pre), ids);
    assertEquals(TEXT, tokenizer.decode(ids));
  }

  /** The fixtures are worth comparing against: every pre-tokenizer cuts this text differently. */
  @Test
  void everyPreTokenizerGivesOtherIds() throws IOException {
    List<String> pres =
        List.of("default", "gpt-2", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder");
    for (int i = 0; i < pres.size(); i++) {
      for (int j = i + 1; j < pres.size(); j++) {
        assertFalse(
            Arrays.equals(fixture(pres.get(i)), fixture(pres.get(j))),
            pres.get(i) + " and " + pres.get(j));
      }
    }
  }

  @Test
  void anUnknownPreTokenizerIsATypedErrorNamingTheSupportedOnes(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("tekken.gguf");
    writeVocabulary(file, "tekken");
    MeshException e = assertThrows(MeshException.class, () -> GgufLoader.tokenizer(file));
    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(
        e.getMessage().contains("unsupported pre-tokenizer 'tekken'; supported: "), e.getMessage());
    assertTrue(e.getMessage().contains("llama-bpe"), e.getMessage());
  }

  @Test
  void llama3KeepsDigitsInThreesAndQwen2SplitsEachDigit() {
    assertEquals(List.of("123", "456", "7"), PreTokenizer.LLAMA3.split("1234567"));
    assertEquals(List.of("1", "2", "3"), PreTokenizer.QWEN2.split("123"));
    assertEquals(List.of(" 1234567"), PreTokenizer.GPT2.split(" 1234567"));
  }

  @Test
  void contractionsAreCaseInsensitiveForLlama3Only() {
    assertEquals(List.of("we", "'LL"), PreTokenizer.LLAMA3.split("we'LL"));
    assertEquals(List.of("we", "'", "LL"), PreTokenizer.GPT2.split("we'LL"));
  }

  /** Writes the vocabulary of this test, naming {@code pre}, as a vocabulary-only GGUF file. */
  static void writeVocabulary(Path file, String pre) throws IOException {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    // twice, so that pairs seen once in the text are learned too, into merges across every cut
    List<String> merges =
        learnMerges((TEXT + TEXT).getBytes(StandardCharsets.UTF_8), MERGES, tokens);
    for (String piece : WHOLE_PIECES) {
      String symbols = ByteLevelBpeTokenizer.symbolsOf(piece.getBytes(StandardCharsets.UTF_8));
      if (!tokens.contains(symbols)) {
        tokens.add(symbols);
      }
    }
    int bos = tokens.size();
    tokens.add("<|bos|>");
    int eos = tokens.size();
    tokens.add("<|eos|>");
    BpeVocabularyFile.write(file, pre, tokens, merges, Set.of(bos, eos), bos, eos);
  }

  /**
   * Learns merges the way BPE training does, over the raw bytes (no pre-tokenization): the most
   * frequent adjacent pair (seen at least twice; ties to the smaller left then right symbol id)
   * merges everywhere, left to right, again and again. Appends each merged symbol to {@code
   * tokens}.
   */
  private static List<String> learnMerges(byte[] text, int maxMerges, List<String> tokens) {
    int[] seq = new int[text.length];
    for (int i = 0; i < text.length; i++) {
      seq[i] = text[i] & 0xFF;
    }
    int n = seq.length;
    List<String> merges = new ArrayList<>();
    while (merges.size() < maxMerges) {
      Map<Long, Integer> counts = new HashMap<>();
      for (int i = 0; i + 1 < n; i++) {
        counts.merge(((long) seq[i] << 32) | seq[i + 1], 1, Integer::sum);
      }
      long best = -1;
      int bestCount = 1;
      for (Map.Entry<Long, Integer> e : counts.entrySet()) {
        if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < best)) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best < 0) {
        break;
      }
      int left = (int) (best >>> 32);
      int right = (int) best;
      int merged = tokens.size();
      tokens.add(tokens.get(left) + tokens.get(right));
      merges.add(tokens.get(left) + " " + tokens.get(right));
      int out = 0;
      for (int i = 0; i < n; i++) {
        if (i + 1 < n && seq[i] == left && seq[i + 1] == right) {
          seq[out++] = merged;
          i++;
        } else {
          seq[out++] = seq[i];
        }
      }
      n = out;
    }
    return merges;
  }

  private static int[] fixture(String pre) throws IOException {
    try (InputStream in =
        PreTokenizerTest.class.getResourceAsStream("/pretokenizer/" + pre + ".ids")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      return Arrays.stream(text.substring(1, text.length() - 1).split(","))
          .map(String::trim)
          .mapToInt(Integer::parseInt)
          .toArray();
    }
  }

  /** Writes the vocabulary files and the text for llama-tokenize: {@code main(outputDir)}. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    for (String pre :
        List.of("default", "gpt-2", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder")) {
      writeVocabulary(dir.resolve(pre + ".gguf"), pre);
    }
    Files.writeString(dir.resolve("text.txt"), TEXT);
  }
}
