package dev.coemesh.pool.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE (GGUF {@code tokenizer.ggml.model=gpt2}, used by Llama-3, Qwen and SmolLM):
 * text is cut into pieces by a {@link PreTokenizer}, each piece's UTF-8 bytes are mapped to
 * printable characters, and adjacent symbols are merged by merge rank (lowest first, the leftmost
 * pair on ties; see {@link MergeRules}), unless the pre-tokenizer takes a piece that is a token as
 * that token (Llama 3). Every byte has a token, so nothing is unknown. Control tokens come from
 * text only as {@link SpecialTokens} finds them there, before pre-tokenization, when the
 * vocabulary's are given.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
  /** GPT-2's pre-tokenizer. */
  public static final Pattern GPT2_SPLIT = PreTokenizer.GPT2.pattern();

  /** Llama-3's pre-tokenizer (GGUF {@code tokenizer.ggml.pre=llama-bpe}). */
  public static final Pattern LLAMA3_SPLIT = PreTokenizer.LLAMA3.pattern();

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
  private final int[] byteSymbols = new int[256]; // [byte] the symbol of its one character
  private final String[] symbols; // [symbol] its text; merges make only interned symbols
  private final int[] symbolTokens; // [symbol] its token id, -1 when the vocabulary lacks it
  private final MergeRules mergeRules;
  private final SpecialTokens specials;
  private final Map<String, Integer> tokenIds; // text -> first id; empty unless wholePieceTokens
  private final List<Pattern> splits;
  private final boolean wholePieceTokens;
  private final int bosId;
  private final int eosId;
  private final boolean addBos;

  /**
   * A tokenizer that pre-tokenizes with one regex, always merges and finds no special tokens in
   * text.
   *
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
    this(
        tokens,
        merges,
        new SpecialTokens(Map.of(), controlTokens),
        List.of(split),
        false,
        bosId,
        eosId,
        addBos);
  }

  /**
   * @param tokens vocabulary in byte-to-unicode form
   * @param merges merge rules {@code "left right"}, highest priority first
   * @param specials the special tokens whose text in the input becomes that token, and the ids
   *     decoded to nothing; with them, {@code encode(text, true)} adds no BOS to a text that starts
   *     with the BOS token's text
   * @param preTokenizer how the text between special tokens is cut into the pieces merges stay
   *     within
   */
  public ByteLevelBpeTokenizer(
      String[] tokens,
      List<String> merges,
      SpecialTokens specials,
      PreTokenizer preTokenizer,
      int bosId,
      int eosId,
      boolean addBos) {
    this(
        tokens,
        merges,
        specials,
        preTokenizer.patterns(),
        preTokenizer.wholePieceTokens(),
        bosId,
        eosId,
        addBos);
  }

  private ByteLevelBpeTokenizer(
      String[] tokens,
      List<String> merges,
      SpecialTokens specials,
      List<Pattern> splits,
      boolean wholePieceTokens,
      int bosId,
      int eosId,
      boolean addBos) {
    this.tokens = tokens.clone();
    Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
    for (int i = 0; i < tokens.length; i++) {
      ids.putIfAbsent(tokens[i], i);
    }
    // Symbols are the 256 byte characters and every merge's parts and result, interned to ints.
    Map<String, Integer> symbolIds = new HashMap<>(merges.size() * 2 + 512);
    List<String> symbolTexts = new ArrayList<>(merges.size() + 256);
    for (int b = 0; b < 256; b++) {
      byteSymbols[b] = intern(String.valueOf(BYTE_TO_CHAR[b]), symbolIds, symbolTexts);
    }
    PairTable pairs = new PairTable(merges.size());
    int[] priority = new int[merges.size()];
    int[] result = new int[merges.size()];
    for (int rank = 0; rank < merges.size(); rank++) {
      String merge = merges.get(rank);
      int space = merge.indexOf(' ');
      // Symbols never hold U+0020 (byte 0x20 maps to U+0120), so only "left right" with one space
      // and two non-empty parts can ever match a pair.
      if (space <= 0 || space == merge.length() - 1 || merge.indexOf(' ', space + 1) >= 0) {
        continue;
      }
      String left = merge.substring(0, space);
      String right = merge.substring(space + 1);
      priority[rank] = rank;
      result[rank] = intern(left + right, symbolIds, symbolTexts);
      pairs.putIfAbsent(
          intern(left, symbolIds, symbolTexts), intern(right, symbolIds, symbolTexts), rank);
    }
    this.mergeRules = new MergeRules(pairs, priority, result);
    this.symbols = new String[symbolTexts.size()];
    this.symbolTokens = new int[symbols.length];
    for (int s = 0; s < symbols.length; s++) {
      Integer id = ids.get(symbolTexts.get(s));
      symbols[s] = id == null ? symbolTexts.get(s) : this.tokens[id];
      symbolTokens[s] = id == null ? -1 : id;
    }
    this.specials = specials;
    this.tokenIds = wholePieceTokens ? ids : Map.of(); // only whole-piece lookups need it kept
    this.splits = List.copyOf(splits);
    this.wholePieceTokens = wholePieceTokens;
    this.bosId = bosId;
    this.eosId = eosId;
    this.addBos = addBos;
  }

  private static int intern(String text, Map<String, Integer> symbolIds, List<String> texts) {
    Integer known = symbolIds.putIfAbsent(text, texts.size());
    if (known != null) {
      return known;
    }
    texts.add(text);
    return texts.size() - 1;
  }

  @Override
  public int[] encode(String text, boolean bos, BooleanSupplier cancelled) {
    CancellationPoll poll = new CancellationPoll(cancelled);
    IntList out = new IntList(text.length() / 3 + 1);
    boolean addsBos = bos && addBos && bosId >= 0;
    MergeRules.Workspace work = new MergeRules.Workspace();
    if (specials.isEmpty()) {
      if (addsBos) {
        out.add(bosId);
      }
      encodePlain(text, out, work, poll);
      return out.toArray();
    }
    specials.split(
        text,
        poll,
        new SpecialTokens.Parts() {
          @Override
          public void text(int start, int end) {
            encodePlain(text.substring(start, end), out, work, poll);
          }

          @Override
          public void special(int id) {
            out.add(id);
          }
        });
    return SpecialTokens.withBos(out.toArray(), addsBos, bosId);
  }

  /** Appends the tokens of {@code text}, which holds no special token's text. */
  private void encodePlain(
      String text, IntList out, MergeRules.Workspace work, CancellationPoll poll) {
    int[] word = new int[64]; // [symbol position] of the current pre-tokenized piece
    for (String piece : PreTokenizer.split(text, splits)) {
      byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
      poll.work(bytes.length);
      if (wholePieceTokens) {
        Integer whole = tokenIds.get(symbolsOf(bytes));
        if (whole != null) {
          out.add(whole);
          continue;
        }
      }
      if (word.length < bytes.length) {
        word = new int[Math.max(bytes.length, 2 * word.length)];
      }
      for (int i = 0; i < bytes.length; i++) {
        word[i] = byteSymbols[bytes[i] & 0xFF];
      }
      int count = mergeRules.mergeAll(word, bytes.length, work, poll);
      for (int i = 0; i < count; i++) {
        emit(word[i], out);
      }
    }
  }

  /** A symbol's token, or the tokens of its characters when the vocabulary lacks the symbol. */
  private void emit(int symbol, IntList out) {
    if (symbolTokens[symbol] >= 0) {
      out.add(symbolTokens[symbol]);
      return;
    }
    for (char c : symbols[symbol].toCharArray()) {
      int single = symbolTokens[byteSymbols[CHAR_TO_BYTE.get(c)]];
      if (single < 0) {
        throw new IllegalStateException("vocabulary lacks the byte symbol " + (int) c);
      }
      out.add(single);
    }
  }

  @Override
  public byte[] tokenBytes(int previous, int token) {
    if (token < 0 || token >= tokens.length) {
      throw new IllegalArgumentException(
          "token id " + token + " outside vocabulary of " + tokens.length);
    }
    if (specials.isSilent(token)) {
      return new byte[0];
    }
    if (specials.contains(token)) {
      // stored as plain text, not in byte-to-unicode form (DeepSeek's "ü"), as llama.cpp decodes it
      return tokens[token].getBytes(StandardCharsets.UTF_8);
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
