package dev.coemesh.pool.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE (GGUF {@code tokenizer.ggml.model=gpt2}, used by Llama-3, Qwen and SmolLM):
 * text is split by a pre-tokenizer regex, each piece's UTF-8 bytes are mapped to printable
 * characters, and adjacent symbols are merged by merge rank (lowest first). Every byte has a token,
 * so nothing is unknown. Control tokens are never produced from text.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
  /** GPT-2's pre-tokenizer. */
  public static final Pattern GPT2_SPLIT =
      Pattern.compile(
          "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  /** Llama-3's pre-tokenizer (GGUF {@code tokenizer.ggml.pre=llama-bpe}). */
  public static final Pattern LLAMA3_SPLIT =
      Pattern.compile(
          "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

  static {
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + next++);
      CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
    }
  }

  private final String[] tokens;
  private final Map<String, Integer> ids;
  private final Map<String, Integer> mergeRanks;
  private final Set<Integer> controlTokens;
  private final Pattern split;
  private final int bosId;
  private final int eosId;
  private final boolean addBos;

  /**
   * @param tokens vocabulary in byte-to-unicode form
   * @param merges merge rules {@code "left right"}, highest priority first
   * @param controlTokens ids decoded to nothing (BOS, EOS, chat markers)
   */
  public ByteLevelBpeTokenizer(
      String[] tokens,
      List<String> merges,
      Set<Integer> controlTokens,
      Pattern split,
      int bosId,
      int eosId,
      boolean addBos) {
    this.tokens = tokens.clone();
    this.ids = new HashMap<>(tokens.length * 2);
    for (int i = 0; i < tokens.length; i++) {
      ids.putIfAbsent(tokens[i], i);
    }
    this.mergeRanks = new HashMap<>(merges.size() * 2);
    for (int rank = 0; rank < merges.size(); rank++) {
      mergeRanks.putIfAbsent(merges.get(rank), rank);
    }
    this.controlTokens = Set.copyOf(controlTokens);
    this.split = split;
    this.bosId = bosId;
    this.eosId = eosId;
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
    int[] result = new int[out.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = out.get(i);
    }
    return result;
  }

  private void encodeWord(String word, List<Integer> out) {
    byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
    List<String> symbols = new ArrayList<>(bytes.length);
    for (byte b : bytes) {
      symbols.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
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

  @Override
  public byte[] tokenBytes(int previous, int token) {
    if (token < 0 || token >= tokens.length) {
      throw new IllegalArgumentException(
          "token id " + token + " outside vocabulary of " + tokens.length);
    }
    if (controlTokens.contains(token)) {
      return new byte[0];
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (char c : tokens[token].toCharArray()) {
      Integer b = CHAR_TO_BYTE.get(c);
      if (b != null) {
        bytes.write(b);
      } else {
        byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(raw, 0, raw.length);
      }
    }
    return bytes.toByteArray();
  }

  /** The byte-to-unicode form of raw bytes (how vocabularies store them; for tests and tools). */
  public static String symbolsOf(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      out.append(BYTE_TO_CHAR[b & 0xFF]);
    }
    return out.toString();
  }

  @Override
  public int bosId() {
    return bosId;
  }

  @Override
  public int eosId() {
    return eosId;
  }

  @Override
  public int vocabularySize() {
    return tokens.length;
  }

  @Override
  public boolean isEndOfSequence(int token) {
    return token == eosId;
  }
}
