package dev.coemesh.bench;

import dev.coemesh.pool.tokenizer.ByteLevelBpeTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * A GPT-2-style byte-level BPE vocabulary learned here, because the shared models folder holds no
 * real BPE vocabulary (its models use SentencePiece): the 256 byte symbols, then the most frequent
 * adjacent pair of {@link EnglishLikeText} merged again and again, as GPT-2's merges were learned,
 * plus {@code <|endoftext|>}. Deterministic: ties go to the smaller pair of symbol ids.
 *
 * @param tokens vocabulary in byte-to-unicode form, {@code <|endoftext|>} last
 * @param merges merge rules {@code "left right"}, first learned first
 */
public record SyntheticBpe(String[] tokens, List<String> merges) {
  /** Learned merges of the benchmark vocabulary (fewer when the corpus runs out of pairs). */
  public static final int MERGES = 4000;

  private static final int CORPUS_WORDS = 60_000;
  private static final long CORPUS_SEED = 7; // not the seed of any benchmark text

  /** The benchmark's vocabulary: {@value #MERGES} merges learned from English-like text. */
  public static SyntheticBpe english() {
    return learn(EnglishLikeText.words(CORPUS_WORDS, CORPUS_SEED), MERGES);
  }

  public int endOfText() {
    return tokens.length - 1;
  }

  public ByteLevelBpeTokenizer tokenizer() {
    return new ByteLevelBpeTokenizer(
        tokens,
        merges,
        Set.of(endOfText()),
        ByteLevelBpeTokenizer.GPT2_SPLIT,
        endOfText(),
        endOfText(),
        false);
  }

  /** Learns up to {@code maxMerges} merges from {@code corpus}, split by GPT-2's pre-tokenizer. */
  public static SyntheticBpe learn(String corpus, int maxMerges) {
    List<String> symbols = new ArrayList<>(); // [symbol id] its text
    Map<String, Integer> symbolIds = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      String symbol = ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b});
      symbolIds.put(symbol, b);
      symbols.add(symbol);
    }
    Map<String, Integer> wordCounts = new HashMap<>();
    Matcher matcher = ByteLevelBpeTokenizer.GPT2_SPLIT.matcher(corpus);
    while (matcher.find()) {
      wordCounts.merge(matcher.group(), 1, Integer::sum);
    }
    List<int[]> words = new ArrayList<>(); // [word][symbol position] symbol ids
    List<Integer> counts = new ArrayList<>(); // [word] occurrences in the corpus
    for (Map.Entry<String, Integer> word : wordCounts.entrySet()) {
      byte[] bytes = word.getKey().getBytes(StandardCharsets.UTF_8);
      int[] ids = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        ids[i] = bytes[i] & 0xFF;
      }
      words.add(ids);
      counts.add(word.getValue());
    }
    Map<Long, Long> pairCounts = new HashMap<>();
    for (int w = 0; w < words.size(); w++) {
      countPairs(words.get(w), counts.get(w), pairCounts);
    }
    List<String> merges = new ArrayList<>();
    while (merges.size() < maxMerges) {
      long best = -1;
      long bestCount = 1; // a pair seen once teaches nothing
      for (Map.Entry<Long, Long> pair : pairCounts.entrySet()) {
        long count = pair.getValue();
        if (count > bestCount || (count == bestCount && best >= 0 && pair.getKey() < best)) {
          best = pair.getKey();
          bestCount = count;
        }
      }
      if (best < 0) {
        break;
      }
      int left = (int) (best >>> 32);
      int right = (int) best;
      String merged = symbols.get(left) + symbols.get(right);
      Integer known = symbolIds.putIfAbsent(merged, symbols.size());
      int mergedId = known == null ? symbols.size() : known;
      if (known == null) {
        symbols.add(merged);
      }
      merges.add(symbols.get(left) + " " + symbols.get(right));
      for (int w = 0; w < words.size(); w++) {
        int[] word = words.get(w);
        if (contains(word, left, right)) {
          countPairs(word, -counts.get(w), pairCounts);
          word = replace(word, left, right, mergedId);
          countPairs(word, counts.get(w), pairCounts);
          words.set(w, word);
        }
      }
    }
    symbols.add("<|endoftext|>");
    return new SyntheticBpe(symbols.toArray(String[]::new), List.copyOf(merges));
  }

  private static void countPairs(int[] word, long count, Map<Long, Long> pairCounts) {
    for (int i = 0; i + 1 < word.length; i++) {
      long pair = ((long) word[i] << 32) | word[i + 1];
      long updated = pairCounts.getOrDefault(pair, 0L) + count;
      if (updated == 0) {
        pairCounts.remove(pair);
      } else {
        pairCounts.put(pair, updated);
      }
    }
  }

  private static boolean contains(int[] word, int left, int right) {
    for (int i = 0; i + 1 < word.length; i++) {
      if (word[i] == left && word[i + 1] == right) {
        return true;
      }
    }
    return false;
  }

  /** {@code word} with each occurrence of {@code left right}, from the left, merged. */
  private static int[] replace(int[] word, int left, int right, int merged) {
    int[] out = new int[word.length];
    int n = 0;
    for (int i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
        out[n++] = merged;
        i++;
      } else {
        out[n++] = word[i];
      }
    }
    return Arrays.copyOf(out, n);
  }
}
