package dev.coemesh.bench;

import java.util.SplittableRandom;

/**
 * Seeded pseudo-random English-like prose: common words drawn with Zipf-like weights, one word in
 * five made up from syllables (so a tokenizer also meets words it has no piece for), sentences with
 * capitals, commas and full stops. The same seed always gives the same text.
 */
public final class EnglishLikeText {
  private static final String[] COMMON = {
    "the",
    "and",
    "to",
    "a",
    "was",
    "he",
    "she",
    "it",
    "of",
    "in",
    "they",
    "her",
    "his",
    "that",
    "with",
    "said",
    "you",
    "on",
    "for",
    "had",
    "but",
    "not",
    "at",
    "so",
    "is",
    "one",
    "day",
    "big",
    "little",
    "very",
    "were",
    "all",
    "saw",
    "then",
    "there",
    "wanted",
    "went",
    "time",
    "up",
    "play",
    "happy",
    "friend",
    "mom",
    "could",
    "from",
    "what",
    "did",
    "looked",
    "this",
    "have",
    "we",
    "back",
    "them",
    "named",
    "girl",
    "boy",
    "park",
    "tree",
    "dog",
    "cat",
    "ball",
    "house",
    "home",
    "good",
    "made",
    "new",
    "like",
    "liked",
    "loved",
    "found",
    "together",
    "after",
    "toy",
    "sun",
    "bird",
    "because",
    "would",
    "other",
    "about",
    "into",
    "their",
    "people",
    "water",
    "through",
    "before",
    "learned",
    "important",
    "something",
    "thought",
    "remember",
    "beautiful",
    "question",
    "answer",
    "morning",
    "evening",
    "garden",
    "window",
    "mountain",
    "river",
    "yesterday",
    "tomorrow"
  };
  private static final String[] ONSETS = {
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "cl",
    "dr", "fl", "gr", "pl", "st", "str", "th", "sh", "ch", "qu", ""
  };
  private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ea", "ou", "ai", "oo", "y"};
  private static final String[] CODAS = {"", "", "n", "r", "s", "t", "ng", "ck", "st", "nd", "ll"};

  private EnglishLikeText() {}

  /** {@code words} words of prose, separated by single spaces. */
  public static String words(int words, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder text = new StringBuilder(words * 6);
    boolean sentenceStart = true;
    for (int w = 0; w < words; w++) {
      if (w > 0) {
        text.append(' ');
      }
      String word = random.nextInt(5) == 0 ? madeUp(random) : common(random);
      if (sentenceStart) {
        word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
      }
      text.append(word);
      int end = random.nextInt(12);
      sentenceStart = end == 0;
      if (end == 0) {
        text.append('.');
      } else if (end == 1) {
        text.append(',');
      }
    }
    return text.toString();
  }

  /** Zipf-like: the word of rank r is drawn with weight about 1 / (r + 1). */
  private static String common(SplittableRandom random) {
    double u = random.nextDouble();
    int rank = (int) Math.floor(Math.expm1(u * Math.log1p(COMMON.length)));
    return COMMON[Math.min(rank, COMMON.length - 1)];
  }

  private static String madeUp(SplittableRandom random) {
    StringBuilder word = new StringBuilder();
    for (int s = 1 + random.nextInt(3); s > 0; s--) {
      word.append(ONSETS[random.nextInt(ONSETS.length)])
          .append(VOWELS[random.nextInt(VOWELS.length)])
          .append(CODAS[random.nextInt(CODAS.length)]);
    }
    return word.toString();
  }
}
