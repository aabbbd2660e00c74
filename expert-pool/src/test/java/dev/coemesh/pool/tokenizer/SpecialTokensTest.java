package dev.coemesh.pool.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Control and user-defined tokens written as text become their ids, in a byte-level vocabulary. */
class SpecialTokensTest {
  private static final int HELLO = 258;
  private static final int BEGIN = 259; // <|begin_of_text|>, BOS, CONTROL
  private static final int END = 260; // <|end|>, EOS, CONTROL
  private static final int IM_START = 261; // CONTROL
  private static final int IM_END = 262; // CONTROL
  private static final int TOOL = 263; // <tool>, USER_DEFINED

  /** All 256 byte symbols, merges up to "hello", then special tokens with GGUF token types. */
  private static ByteLevelBpeTokenizer tokenizer(boolean withSpecials) {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    tokens.addAll(
        List.of(
            "he",
            "hel",
            "hello",
            "<|begin_of_text|>",
            "<|end|>",
            "<|im_start|>",
            "<|im_end|>",
            "<tool>"));
    long[] types = new long[tokens.size()];
    java.util.Arrays.fill(types, 1);
    types[BEGIN] = SpecialTokens.CONTROL;
    types[END] = SpecialTokens.CONTROL;
    types[IM_START] = SpecialTokens.CONTROL;
    types[IM_END] = SpecialTokens.CONTROL;
    types[TOOL] = SpecialTokens.USER_DEFINED;
    String[] vocabulary = tokens.toArray(String[]::new);
    SpecialTokens specials =
        withSpecials
            ? SpecialTokens.fromTypes(vocabulary, types)
            : new SpecialTokens(Map.of(), Set.of(BEGIN, END, IM_START, IM_END));
    return new ByteLevelBpeTokenizer(
        vocabulary,
        List.of("h e", "he l", "hel lo", "l o"),
        specials,
        PreTokenizer.LLAMA3,
        BEGIN,
        END,
        true);
  }

  private static int[] bytes(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = b[i] & 0xFF;
    }
    return ids;
  }

  private static int[] concat(int[]... parts) {
    IntList out = new IntList(16);
    for (int[] p : parts) {
      for (int id : p) {
        out.add(id);
      }
    }
    return out.toArray();
  }

  @Test
  void controlTokenTextsBecomeTheirIds() {
    ByteLevelBpeTokenizer tok = tokenizer(true);

    int[] ids = tok.encode("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n", false);

    assertArrayEquals(
        concat(
            new int[] {IM_START},
            bytes("user\n"),
            new int[] {HELLO, IM_END},
            bytes("\n"),
            new int[] {IM_START},
            bytes("assistant\n")),
        ids);
  }

  @Test
  void aTextThatStartsWithTheBosTextGetsNoSecondBos() {
    ByteLevelBpeTokenizer tok = tokenizer(true);

    assertArrayEquals(
        new int[] {BEGIN, HELLO, END}, tok.encode("<|begin_of_text|>hello<|end|>", true));
    assertArrayEquals(new int[] {BEGIN, HELLO, END}, tok.encode("hello<|end|>", true));
    assertArrayEquals(new int[] {HELLO, BEGIN}, tok.encode("hello<|begin_of_text|>", false));
  }

  @Test
  void userDefinedTokensAreFoundAndDecodeToTheirTextControlTokensToNothing() {
    ByteLevelBpeTokenizer tok = tokenizer(true);

    int[] ids = tok.encode("<|im_start|>a<tool>b<|im_end|>", false);

    assertArrayEquals(new int[] {IM_START, 'a', TOOL, 'b', IM_END}, ids);
    assertEquals("a<tool>b", tok.decode(ids));
  }

  /**
   * As llama.cpp: a user-defined token is matched in the text before the pre-tokenizer cuts it, and
   * decodes to its text as stored, not as byte symbols. DeepSeek LLM's vocabulary has "ü" so, and
   * llama-tokenize gives "Führer" as F, ü, h, rer although its pre-tokenizer keeps the word whole.
   */
  @Test
  void aUserDefinedTokenIsCutOutBeforePreTokenizingAndDecodesAsText() {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    int umlaut = tokens.size();
    tokens.add("\u00fc");
    int rer = tokens.size() + 1;
    tokens.addAll(List.of("re", "rer"));
    ByteLevelBpeTokenizer tok =
        new ByteLevelBpeTokenizer(
            tokens.toArray(String[]::new),
            List.of("r e", "re r"),
            new SpecialTokens(Map.of("\u00fc", umlaut), Set.of()),
            PreTokenizer.DEEPSEEK_LLM,
            -1,
            -1,
            false);

    int[] ids = tok.encode("F\u00fchrer", false);

    assertArrayEquals(new int[] {'F', umlaut, 'h', rer}, ids);
    assertEquals("F\u00fchrer", tok.decode(ids));
  }

  @Test
  void textWithoutSpecialTextsTokenizesAsWithoutSpecials() {
    String text = "hello <| im_start |> <tool hello\n\n  naïve 🙂 <|im_star";

    assertArrayEquals(tokenizer(false).encode(text, true), tokenizer(true).encode(text, true));
  }

  @Test
  void withoutTheVocabularysSpecialsControlTextStaysBytes() {
    assertArrayEquals(
        concat(new int[] {BEGIN}, bytes("<|im_end|>")),
        tokenizer(false).encode("<|im_end|>", true));
  }

  @Test
  void theLongestSpecialTextWinsAtAPosition() {
    SpecialTokens specials = new SpecialTokens(Map.of("<a>", 1, "<a><b>", 2, "<b>", 3), Set.of());
    List<String> parts = new ArrayList<>();
    specials.split(
        "x<a><b><b>y<a>",
        new CancellationPoll(() -> false),
        new SpecialTokens.Parts() {
          @Override
          public void text(int start, int end) {
            parts.add("x<a><b><b>y<a>".substring(start, end));
          }

          @Override
          public void special(int id) {
            parts.add("#" + id);
          }
        });

    assertEquals(List.of("x", "#2", "#3", "y", "#1"), parts);
  }
}
