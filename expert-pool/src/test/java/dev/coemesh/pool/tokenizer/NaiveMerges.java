package dev.coemesh.pool.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference for the tokenizers' merging: the quadratic greedy loops they used before {@link
 * MergeRules} (scan every adjacent pair, merge the best, repeat), kept verbatim so tests can
 * compare ids on any text. Published in this module's test jar: it is also the baseline of the
 * tokenizer benchmark ({@code benchmarks/}).
 */
public final class NaiveMerges {
  private NaiveMerges() {}

  /** One of the pre-fix encoders. */
  public sealed interface Encoder permits SentencePiece, ByteLevelBpe {
    int[] encode(String text, boolean bos);
  }

  /** {@link SentencePieceTokenizer#encode} as the full-scan loop computes it. */
  public static final class SentencePiece implements Encoder {
    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteTokens = new int[256];
    private final int bosId;

    public SentencePiece(SentencePieceTokenizer tokenizer) {
      int n = tokenizer.vocabularySize();
      pieces = new String[n];
      scores = new float[n];
      for (int i = 0; i < n; i++) {
        pieces[i] = tokenizer.piece(i);
        scores[i] = tokenizer.score(i);
        ids.putIfAbsent(pieces[i], i);
      }
      for (int b = 0; b < 256; b++) {
        Integer id = ids.get(String.format("<0x%02X>", b));
        byteTokens[b] = id == null ? -1 : id;
      }
      bosId = tokenizer.bosId();
    }

    @Override
    public int[] encode(String text, boolean bos) {
      List<Integer> tokens = new ArrayList<>(text.length() + 2);
      if (!text.isEmpty()) {
        Integer space = ids.get(" ");
        if (space != null) {
          tokens.add(space);
        }
      }
      text.codePoints()
          .forEach(
              cp -> {
                String ch = Character.toString(cp);
                Integer id = ids.get(ch);
                if (id != null) {
                  tokens.add(id);
                } else {
                  for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    int byteToken = byteTokens[b & 0xFF];
                    tokens.add(byteToken >= 0 ? byteToken : (b & 0xFF) + 3);
                  }
                }
              });
      while (true) {
        float bestScore = Float.NEGATIVE_INFINITY;
        int bestId = -1;
        int bestIndex = -1;
        for (int i = 0; i + 1 < tokens.size(); i++) {
          Integer merged = ids.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
          if (merged != null && scores[merged] > bestScore) {
            bestScore = scores[merged];
            bestId = merged;
            bestIndex = i;
          }
        }
        if (bestIndex < 0) {
          break;
        }
        tokens.set(bestIndex, bestId);
        tokens.remove(bestIndex + 1);
      }
      int offset = bos ? 1 : 0;
      int[] out = new int[tokens.size() + offset];
      if (bos) {
        out[0] = bosId;
      }
      for (int i = 0; i < tokens.size(); i++) {
        out[i + offset] = tokens.get(i);
      }
      return out;
    }
  }

  /** {@link ByteLevelBpeTokenizer#encode} as the full-scan loop computes it. */
  public static final class ByteLevelBpe implements Encoder {
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> mergeRanks = new HashMap<>();
    private final Pattern split;
    private final int bosId;
    private final boolean addBos;

    public ByteLevelBpe(
        String[] tokens, List<String> merges, Pattern split, int bosId, boolean addBos) {
      for (int i = 0; i < tokens.length; i++) {
        ids.putIfAbsent(tokens[i], i);
      }
      for (int rank = 0; rank < merges.size(); rank++) {
        mergeRanks.putIfAbsent(merges.get(rank), rank);
      }
      this.split = split;
      this.bosId = bosId;
      this.addBos = addBos;
    }

    @Override
    public int[] encode(String text, boolean bos) {
      List<Integer> out = new ArrayList<>();
      if (bos && addBos && bosId >= 0) {
        out.add(bosId);
      }
      Matcher matcher = split.matcher(text);
      while (matcher.find()) {
        encodeWord(matcher.group(), out);
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeWord(String word, List<Integer> out) {
      byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
      List<String> symbols = new ArrayList<>(bytes.length);
      for (byte b : bytes) {
        symbols.add(ByteLevelBpeTokenizer.symbolsOf(new byte[] {b}));
      }
      while (symbols.size() > 1) {
        int bestRank = Integer.MAX_VALUE;
        int bestIndex = -1;
        for (int i = 0; i + 1 < symbols.size(); i++) {
          Integer rank = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
          if (rank != null && rank < bestRank) {
            bestRank = rank;
            bestIndex = i;
          }
        }
        if (bestIndex < 0) {
          break;
        }
        symbols.set(bestIndex, symbols.get(bestIndex) + symbols.get(bestIndex + 1));
        symbols.remove(bestIndex + 1);
      }
      for (String symbol : symbols) {
        Integer id = ids.get(symbol);
        if (id != null) {
          out.add(id);
        } else {
          for (char c : symbol.toCharArray()) {
            Integer single = ids.get(String.valueOf(c));
            if (single == null) {
              throw new IllegalStateException("vocabulary lacks the byte symbol " + (int) c);
            }
            out.add(single);
          }
        }
      }
    }
  }
}
