package dev.coemesh.pool.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.Stories;
import dev.coemesh.pool.sampler.StopMatcher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerTest {

  @ParameterizedTest
  @ValueSource(
      strings = {"Once upon a time", "Ümlaut café 日本 🙂!", "tabs\tand\nnewlines", "  two spaces"})
  void sentencePieceRoundTripsAnyTextThroughByteFallback(String text) {
    Tokenizer tok = Stories.bin().tokenizer();
    int[] ids = tok.encode(text, true);
    assertEquals(1, ids[0]);
    assertEquals(text, tok.decode(ids));
  }

  @Test
  void nonAsciiUsesByteTokens() {
    int[] ids = Stories.bin().tokenizer().encode("日", false);
    // " " then the three UTF-8 bytes of 日 (E6 97 A5) as <0xE6> <0x97> <0xA5> = byte + 3
    assertArrayEquals(new int[] {410, 0xE6 + 3, 0x97 + 3, 0xA5 + 3}, ids);
  }

  /**
   * A tiny GPT-2 style vocabulary: all 256 byte symbols plus merges "h e", "he l", "hel l", "hell
   * o".
   */
  private static ByteLevelBpeTokenizer gpt2() {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    tokens.add("he");
    tokens.add("hel");
    tokens.add("hell");
    tokens.add("hello");
    tokens.add(ByteLevelBpeTokenizer.symbolsOf(" w".getBytes()));
    tokens.add("<|begin|>");
    tokens.add("<|end|>");
    String space = ByteLevelBpeTokenizer.symbolsOf(" ".getBytes());
    List<String> merges = List.of("h e", "he l", "hel l", "hell o", space + " w");
    return new ByteLevelBpeTokenizer(
        tokens.toArray(String[]::new),
        merges,
        Set.of(261, 262),
        ByteLevelBpeTokenizer.GPT2_SPLIT,
        261,
        262,
        true);
  }

  @Test
  void byteLevelBpeMergesByRankAndDecodesBytes() {
    ByteLevelBpeTokenizer tok = gpt2();
    int[] ids = tok.encode("hello world", true);
    // <|begin|>, "hello", " w", "o", "r", "l", "d"
    assertArrayEquals(new int[] {261, 259, 260, 'o', 'r', 'l', 'd'}, ids);
    assertEquals("hello world", tok.decode(ids));
    String unicode = "naïve 🙂";
    assertEquals(unicode, tok.decode(tok.encode(unicode, false)));
    assertEquals(0, tok.tokenBytes(-1, 262).length);
    assertTrue(tok.isEndOfSequence(262));
  }

  @Test
  void utf8AccumulatorReleasesOnlyWholeCharacters() {
    Utf8Accumulator acc = new Utf8Accumulator();
    byte[] smile = "🙂".getBytes(StandardCharsets.UTF_8);
    assertEquals("", acc.append(new byte[] {smile[0], smile[1]}));
    assertTrue(acc.holding());
    assertEquals("🙂a", acc.append(new byte[] {smile[2], smile[3], 'a'}));
    assertEquals("", acc.flush());
  }

  @Test
  void stopMatcherHoldsBackPossibleStopPrefixesAndCutsAtTheStop() {
    StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
    assertEquals("abc", m.accept("abc"));
    assertEquals("x", m.accept("xE"));
    assertTrue(m.holding());
    assertEquals("EX", m.accept("X")); // "EX" is not a stop after all
    assertEquals("yz", m.accept("yzEN"));
    assertEquals("", m.accept("D and more"));
    assertTrue(m.stopped());
    assertEquals("", m.flush());
  }

  @Test
  void aVocabularyThatByteFallbackCannotCoverIsRefusedAtLoad(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // 100 pieces and no <0xHH> tokens: byte fallback would emit ids 3..258, past the vocabulary
    int vocab = 100;
    java.nio.ByteBuffer file =
        java.nio.ByteBuffer.allocate(4 + vocab * 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    file.putInt(4);
    for (int i = 0; i < vocab; i++) {
      byte[] piece = String.format("p%03d", i).getBytes(StandardCharsets.UTF_8);
      file.putFloat(-i).putInt(piece.length).put(piece);
    }
    java.nio.file.Path path = dir.resolve("small.bin");
    java.nio.file.Files.write(path, java.util.Arrays.copyOf(file.array(), file.position()));
    dev.coemesh.core.error.MeshException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.coemesh.core.error.MeshException.class,
            () -> Llama2cTokenizerFile.read(path, vocab));
    assertEquals(dev.coemesh.core.error.ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("no token for byte 0x"), e.getMessage());
  }
}
