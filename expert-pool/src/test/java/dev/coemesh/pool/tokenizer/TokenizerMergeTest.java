package dev.coemesh.pool.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.pool.Stories;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The O(n log n) merging gives exactly the ids of the quadratic loops it replaced ({@link
 * NaiveMerges}), on seeded random text of every kind the tokenizers meet; and a long encode stops
 * when its caller cancels it.
 */
class TokenizerMergeTest {
  private static final int SEEDS = 300;

  private static final String[] WORDS = {
    "Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "she", "loved",
    "to", "play", "the", "park", "cat", "dog", "and", "happy", "said", "Tom", "big", "ball",
    "don't", "it's", "we'll", "I'm"
  };
  private static final String[] MARKED = {"e\u0301", "n\u0303", "a\u0308\u0304", "Ä", "ç", "ß"};
  private static final String[] EMOJI = {"🙂", "👍🏽", "👨\u200d👩\u200d👧", "🇯🇵", "𝒜"};
  private static final String[] LONE_SURROGATES = {"\uD800", "\uDFFF", "\uD83D", "\uDE42\uD83D"};
  private static final String[] SPACES = {
    " ", "  ", "\t", "\n", "\r\n", "\u00A0", "\u3000", " \n "
  };

  private static final String[] EDGES = {
    "", " ", "a", "\uD800", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "       ", "hello world", "日本語"
  };

  /** Seeded random text: words, marks, emoji, CJK, one-letter runs, whitespace, lone surrogates. */
  static String randomText(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int parts = seed % 50 == 0 ? 600 : random.nextInt(80);
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < parts; p++) {
      switch (random.nextInt(12)) {
        case 0, 1, 2, 3 -> text.append(WORDS[random.nextInt(WORDS.length)]);
        case 4 -> {
          for (int n = 1 + random.nextInt(9); n > 0; n--) {
            text.append((char) ('a' + random.nextInt(26)));
          }
        }
        case 5 -> text.append(MARKED[random.nextInt(MARKED.length)]);
        case 6 -> text.append(EMOJI[random.nextInt(EMOJI.length)]);
        case 7 -> {
          for (int n = 1 + random.nextInt(4); n > 0; n--) {
            text.append((char) (0x4E00 + random.nextInt(0x5000)));
          }
        }
        case 8 -> text.repeat("aeo t.".charAt(random.nextInt(6)), 1 + random.nextInt(200));
        case 9 -> text.append(SPACES[random.nextInt(SPACES.length)]);
        case 10 -> text.append(LONE_SURROGATES[random.nextInt(LONE_SURROGATES.length)]);
        default -> text.append(",.!?'0123456789".charAt(random.nextInt(15)));
      }
      if (random.nextInt(3) > 0) {
        text.append(' ');
      }
    }
    return text.toString();
  }

  private static void assertSameAsNaive(
      SentencePieceTokenizer tokenizer, NaiveMerges.SentencePiece naive) {
    for (String text : EDGES) {
      assertArrayEquals(naive.encode(text, true), tokenizer.encode(text, true), () -> text);
    }
    for (long seed = 0; seed < SEEDS; seed++) {
      String text = randomText(seed);
      long s = seed;
      assertArrayEquals(
          naive.encode(text, seed % 2 == 0),
          tokenizer.encode(text, seed % 2 == 0),
          () -> "seed " + s + ", text of " + text.length() + " chars");
    }
  }

  @Test
  void llama2cTokenizerMergesAsTheFullScanDid() {
    SentencePieceTokenizer tokenizer = (SentencePieceTokenizer) Stories.bin().tokenizer();
    assertSameAsNaive(tokenizer, new NaiveMerges.SentencePiece(tokenizer));
  }

  @Test
  void ggufTokenizerMergesAsTheFullScanDid() {
    SentencePieceTokenizer tokenizer = (SentencePieceTokenizer) Stories.gguf().tokenizer();
    assertSameAsNaive(tokenizer, new NaiveMerges.SentencePiece(tokenizer));
  }

  /**
   * Scores from a tiny set (ties everywhere), -0 beside +0, -inf and NaN scores that never merge,
   * and duplicated pieces.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void tiedAndOddScoresMergeAsTheFullScanDid(long vocabularySeed) {
    SplittableRandom random = new SplittableRandom(vocabularySeed);
    List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    for (int b = 0; b < 256; b++) {
      pieces.add(String.format("<0x%02X>", b));
    }
    List<String> mergeable = new ArrayList<>();
    for (String c : " abcdeilnostuy.,'éäß日\u0301".split("")) {
      mergeable.add(c);
    }
    pieces.addAll(mergeable);
    float[] scorePalette = {
      -3f, -2f, -1f, -0f, 0f, 1f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY
    };
    List<Float> scores = new ArrayList<>();
    for (int i = 0; i < pieces.size(); i++) {
      scores.add(scorePalette[random.nextInt(scorePalette.length)]);
    }
    for (int m = 0; m < 400; m++) {
      String piece =
          random.nextInt(20) == 0
              ? mergeable.get(random.nextInt(mergeable.size())) // a duplicate
              : mergeable.get(random.nextInt(Math.min(mergeable.size(), 30)))
                  + mergeable.get(random.nextInt(mergeable.size()));
      mergeable.add(piece);
      pieces.add(piece);
      scores.add(scorePalette[random.nextInt(scorePalette.length)]);
    }
    float[] scoreArray = new float[scores.size()];
    for (int i = 0; i < scoreArray.length; i++) {
      scoreArray[i] = scores.get(i);
    }
    SentencePieceTokenizer tokenizer =
        new SentencePieceTokenizer(pieces.toArray(String[]::new), scoreArray, 1, 2, false);
    assertSameAsNaive(tokenizer, new NaiveMerges.SentencePiece(tokenizer));
  }

  /**
   * A random byte-level BPE: ranked merges of random symbol pairs, some results not in the
   * vocabulary, duplicated and malformed rules.
   */
  private record RandomBpe(String[] tokens, List<String> merges) {
    static RandomBpe of(long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      List<String> tokens = new ArrayList<>();
      for (int b = 0; b < 256; b++) {
        tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
      }
      List<String> common = new ArrayList<>();
      for (char symbol :
          ByteLevelBpeTokenizer.symbolsOf(
                  " abcdeilnostuy.,'0é日🙂\u0301\n".getBytes(StandardCharsets.UTF_8))
              .toCharArray()) {
        if (!common.contains(String.valueOf(symbol))) {
          common.add(String.valueOf(symbol));
        }
      }
      List<String> symbols = new ArrayList<>(common);
      List<String> merges = new ArrayList<>();
      for (int rank = 0; rank < 600; rank++) {
        switch (random.nextInt(40)) {
          case 0 ->
              merges.add(merges.isEmpty() ? "a b" : merges.get(random.nextInt(merges.size())));
          case 1 -> merges.add(random.nextBoolean() ? "ab" : "a b c");
          default -> {
            String left =
                random.nextBoolean()
                    ? common.get(random.nextInt(common.size()))
                    : symbols.get(random.nextInt(symbols.size()));
            String right =
                random.nextBoolean()
                    ? common.get(random.nextInt(common.size()))
                    : symbols.get(random.nextInt(symbols.size()));
            merges.add(left + " " + right);
            symbols.add(left + right);
            if (random.nextInt(8) > 0) {
              tokens.add(left + right);
            }
          }
        }
      }
      tokens.add("<|begin|>");
      tokens.add("<|end|>");
      return new RandomBpe(tokens.toArray(String[]::new), merges);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void byteLevelBpeMergesAsTheFullScanDid(long vocabularySeed) {
    RandomBpe bpe = RandomBpe.of(vocabularySeed);
    Pattern split =
        vocabularySeed % 2 == 0
            ? ByteLevelBpeTokenizer.GPT2_SPLIT
            : ByteLevelBpeTokenizer.LLAMA3_SPLIT;
    int bos = bpe.tokens().length - 2;
    ByteLevelBpeTokenizer tokenizer =
        new ByteLevelBpeTokenizer(
            bpe.tokens(), bpe.merges(), Set.of(bos, bos + 1), split, bos, bos + 1, true);
    NaiveMerges.ByteLevelBpe naive =
        new NaiveMerges.ByteLevelBpe(bpe.tokens(), bpe.merges(), split, bos, true);
    for (String text : EDGES) {
      assertArrayEquals(naive.encode(text, true), tokenizer.encode(text, true), () -> text);
    }
    for (long seed = 0; seed < SEEDS; seed++) {
      String text = randomText(seed);
      long s = seed;
      assertArrayEquals(
          naive.encode(text, seed % 2 == 0),
          tokenizer.encode(text, seed % 2 == 0),
          () -> "seed " + s + ", text of " + text.length() + " chars");
    }
  }

  /**
   * Boundaries of the greedy order, each written as {@code piece:score} entries: the leftmost of
   * tied pairs, -0 tied with +0, scores that never merge, and a pair whose best merge went stale
   * when its right symbol merged first (popping it must not merge the new, worse pair early).
   */
  @ParameterizedTest
  @CsvSource({
    "a:0 aa:1,               aaa,   aa a",
    "a:0 b:0 c:0 ab:-0 bc:0, abc,   ab c",
    "a:0 b:0 c:0 ab:0 bc:-0, abc,   ab c",
    "a:0 b:0 ab:NaN,         ab,    a b",
    "a:0 b:0 ab:-Infinity,   ab,    a b",
    "a:0 b:0 ab:Infinity,    ab,    ab",
    "z:0 a:0 b:0 c:0 bc:10 ab:8 za:6 abc:4, zabc, za bc",
  })
  void sentencePieceMergesInTheGreedyOrder(String vocabulary, String text, String expected) {
    String[] entries = vocabulary.trim().split(" +");
    String[] pieces = new String[entries.length];
    float[] scores = new float[entries.length];
    for (int i = 0; i < entries.length; i++) {
      pieces[i] = entries[i].substring(0, entries[i].indexOf(':'));
      scores[i] = Float.parseFloat(entries[i].substring(entries[i].indexOf(':') + 1));
    }
    SentencePieceTokenizer tokenizer = new SentencePieceTokenizer(pieces, scores, 0, 0, false);
    int[] ids = tokenizer.encode(text, false);
    List<String> merged = new ArrayList<>();
    for (int id : ids) {
      merged.add(tokenizer.piece(id));
    }
    assertEquals(expected, String.join(" ", merged));
    assertArrayEquals(new NaiveMerges.SentencePiece(tokenizer).encode(text, false), ids);
  }

  /** The byte-level twin of the stale case above: "b c" first, then "z a" before "a bc". */
  @Test
  void byteLevelBpeSkipsAPairWhoseRightSymbolMergedFirst() {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    tokens.addAll(List.of("bc", "ab", "za", "abc"));
    List<String> merges = List.of("b c", "a b", "z a", "a bc");
    ByteLevelBpeTokenizer tokenizer =
        new ByteLevelBpeTokenizer(
            tokens.toArray(String[]::new),
            merges,
            Set.of(),
            ByteLevelBpeTokenizer.GPT2_SPLIT,
            -1,
            -1,
            false);
    assertArrayEquals(new int[] {258, 256}, tokenizer.encode("zabc", true)); // "za", "bc"
  }

  /** Tokens of {@code "cat"} and {@code " cat"} from merges "c a", "ca t", "Ġ cat". */
  private static ByteLevelBpeTokenizer cats() {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}));
    }
    String space = ByteLevelBpeTokenizer.symbolsOf(new byte[] {' '});
    tokens.addAll(List.of("ca", "cat", space + "cat", "<|begin|>"));
    return new ByteLevelBpeTokenizer(
        tokens.toArray(String[]::new),
        List.of("c a", "ca t", space + " cat"),
        Set.of(259),
        ByteLevelBpeTokenizer.GPT2_SPLIT,
        259,
        259,
        true);
  }

  @Test
  void aHundredThousandCatsEncodeWhole() {
    String text = "cat ".repeat(100_000);
    int[] pieces = Stories.bin().tokenizer().encode(text, true);
    // BOS, then " c" "at" per word (tok512 has no " cat"), then the trailing " "
    assertEquals(1 + 2 * 100_000 + 1, pieces.length);
    assertEquals(1, pieces[0]);
    for (int i = 1; i < pieces.length - 1; i += 2) {
      assertEquals(280, pieces[i]);
      assertEquals(294, pieces[i + 1]);
    }
    assertEquals(410, pieces[pieces.length - 1]);

    int[] bpe = cats().encode(text, true);
    // BOS, "cat", then " cat" per further word, then the trailing space byte
    assertEquals(1 + 100_000 + 1, bpe.length);
    assertEquals(259, bpe[0]);
    assertEquals(257, bpe[1]);
    for (int i = 2; i < bpe.length - 1; i++) {
      assertEquals(258, bpe[i]);
    }
    assertEquals(' ', bpe[bpe.length - 1]); // the space byte's token
  }

  @Test
  void aRunOfOneLetterMergesPairwiseFromTheLeft() {
    SentencePieceTokenizer tokenizer = (SentencePieceTokenizer) Stories.bin().tokenizer();
    int[] ids = tokenizer.encode("l".repeat(100_000), false);
    // " l" (score -19) first, then "ll" (-47) for each further pair of the 99,999 left, then "l"
    assertEquals(1 + 49_999 + 1, ids.length);
    assertEquals(" l", tokenizer.piece(ids[0]));
    for (int i = 1; i < ids.length - 1; i++) {
      assertEquals("ll", tokenizer.piece(ids[i]));
    }
    assertEquals("l", tokenizer.piece(ids[ids.length - 1]));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sentencepiece", "bpe"})
  void aCancelledEncodeStopsAtTheNextPoll(String kind) {
    Tokenizer tokenizer = kind.equals("bpe") ? cats() : Stories.bin().tokenizer();
    String text = "cat ".repeat(100_000);
    AtomicInteger polls = new AtomicInteger();
    BooleanSupplier cancelledOnThirdPoll = () -> polls.incrementAndGet() >= 3;
    CancellationException stopped =
        assertThrows(
            CancellationException.class, () -> tokenizer.encode(text, true, cancelledOnThirdPoll));
    assertEquals("tokenization cancelled", stopped.getMessage());
    assertEquals(3, polls.get());
    assertArrayEquals(tokenizer.encode(text, true), tokenizer.encode(text, true, () -> false));
  }
}
