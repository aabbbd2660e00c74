package dev.coemesh.pool.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * SentencePiece-style BPE with scores (llama2.c tokenizer files, GGUF {@code
 * tokenizer.ggml.model=llama}): a dummy-prefix space, one token per character where the vocabulary
 * has it, byte fallback ({@code <0xHH>} tokens) where it does not, then greedy merging of the
 * adjacent pair whose merged piece scores highest (the leftmost such pair on ties; see {@link
 * MergeRules}). Pieces use a plain space for the word marker.
 */
public final class SentencePieceTokenizer implements Tokenizer {
  private final String[] pieces;
  private final float[] scores;
  private final Map<String, Integer> ids;
  private final int[] byteTokens = new int[256]; // [byte] its <0xHH> token, else byte + 3
  private final int[] asciiTokens = new int[128]; // [char] its one-character token, else -1
  private final int spaceId;
  private final MergeRules mergeRules;
  private final int bosId;
  private final int eosId;
  private final boolean bosEndsSequence;
  private final SpecialTokens specials;

  /** A tokenizer whose vocabulary has no special tokens to find in text (llama2.c files). */
  public SentencePieceTokenizer(
      String[] pieces, float[] scores, int bosId, int eosId, boolean bosEndsSequence) {
    this(pieces, scores, bosId, eosId, bosEndsSequence, SpecialTokens.NONE);
  }

  /**
   * @param pieces token strings, the word marker {@code ▁} already replaced by a space
   * @param bosEndsSequence llama2.c stops when BOS is sampled; GGUF models stop on EOS only
   * @param specials the special tokens whose text in the input becomes that token; with them,
   *     {@code encode(text, true)} adds no BOS to a text that starts with the BOS token's text
   */
  public SentencePieceTokenizer(
      String[] pieces,
      float[] scores,
      int bosId,
      int eosId,
      boolean bosEndsSequence,
      SpecialTokens specials) {
    if (pieces.length != scores.length || pieces.length == 0) {
      throw new IllegalArgumentException("need one score per piece");
    }
    this.pieces = pieces.clone();
    this.scores = scores.clone();
    this.ids = new HashMap<>(pieces.length * 2);
    for (int i = 0; i < pieces.length; i++) {
      ids.putIfAbsent(pieces[i], i);
    }
    for (int b = 0; b < 256; b++) {
      byteTokens[b] = ids.getOrDefault(String.format("<0x%02X>", b), b + 3);
    }
    for (int c = 0; c < asciiTokens.length; c++) {
      asciiTokens[c] = ids.getOrDefault(String.valueOf((char) c), -1);
    }
    this.spaceId = ids.getOrDefault(" ", -1);
    this.mergeRules = mergeRules(this.pieces, this.scores, ids);
    this.bosId = bosId;
    this.eosId = eosId;
    this.bosEndsSequence = bosEndsSequence;
    this.specials = specials;
  }

  @Override
  public int[] encode(String text, boolean bos, BooleanSupplier cancelled) {
    CancellationPoll poll = new CancellationPoll(cancelled);
    IntList out = new IntList(text.length() + 2);
    MergeRules.Workspace work = new MergeRules.Workspace();
    if (specials.isEmpty()) {
      if (bos) {
        out.add(bosId);
      }
      encodePlain(text, true, out, work, poll);
      return out.toArray();
    }
    // As llama.cpp: each plain span after a special token (or at the start) gets the dummy prefix.
    boolean[] afterSpecial = {true};
    specials.split(
        text,
        poll,
        new SpecialTokens.Parts() {
          @Override
          public void text(int start, int end) {
            encodePlain(text.substring(start, end), afterSpecial[0], out, work, poll);
            afterSpecial[0] = false;
          }

          @Override
          public void special(int id) {
            out.add(id);
            afterSpecial[0] = true;
          }
        });
    return SpecialTokens.withBos(out.toArray(), bos, bosId);
  }

  /** Appends the tokens of {@code text}, which holds no special token's text. */
  private void encodePlain(
      String text,
      boolean dummyPrefix,
      IntList out,
      MergeRules.Workspace work,
      CancellationPoll poll) {
    IntList symbols = new IntList(text.length() + 1);
    if (dummyPrefix && !text.isEmpty() && spaceId >= 0) {
      symbols.add(spaceId);
    }
    for (int i = 0; i < text.length(); ) {
      poll.tick();
      int cp = text.codePointAt(i); // a lone surrogate comes back as itself
      i += Character.charCount(cp);
      int id =
          cp < asciiTokens.length ? asciiTokens[cp] : ids.getOrDefault(Character.toString(cp), -1);
      if (id >= 0) {
        symbols.add(id);
      } else {
        for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
          symbols.add(byteTokens[b & 0xFF]);
        }
      }
    }
    int count = mergeRules.mergeAll(symbols.values(), symbols.size(), work, poll);
    for (int i = 0; i < count; i++) {
      out.add(symbols.values()[i]);
    }
  }

  /**
   * One merge rule per piece that some pair of pieces spells: rule {@code m} turns any pair whose
   * concatenation is piece {@code m} into token {@code m}, with priority from its score (higher
   * first). Pairs are listed for every id of a duplicated part piece, and lead to the first id of
   * the merged piece, as a lookup of the concatenated string would.
   */
  private static MergeRules mergeRules(String[] pieces, float[] scores, Map<String, Integer> ids) {
    Map<String, int[]> idsOfPiece = new HashMap<>(pieces.length * 2);
    for (int i = 0; i < pieces.length; i++) {
      int id = i;
      idsOfPiece.merge(
          pieces[i],
          new int[] {id},
          (known, added) -> {
            int[] all = Arrays.copyOf(known, known.length + 1);
            all[known.length] = id;
            return all;
          });
    }
    PairTable pairs = new PairTable(pieces.length * 2);
    int[] priority = new int[pieces.length];
    int[] result = new int[pieces.length];
    for (int merged = 0; merged < pieces.length; merged++) {
      result[merged] = merged;
      String piece = pieces[merged];
      // A score of -inf or NaN never beats the greedy loop's starting best of -inf.
      if (ids.get(piece) != merged || !(scores[merged] > Float.NEGATIVE_INFINITY)) {
        continue;
      }
      priority[merged] = ~orderedBits(scores[merged]);
      for (int cut = 0; cut <= piece.length(); cut++) {
        int[] lefts = idsOfPiece.get(piece.substring(0, cut));
        int[] rights = lefts == null ? null : idsOfPiece.get(piece.substring(cut));
        if (rights == null) {
          continue;
        }
        for (int left : lefts) {
          for (int right : rights) {
            pairs.putIfAbsent(left, right, merged);
          }
        }
      }
    }
    return new MergeRules(pairs, priority, result);
  }

  /** An int that orders as the float does, with -0 equal to +0 (as {@code >} compares them). */
  private static int orderedBits(float score) {
    int bits = Float.floatToIntBits(score + 0.0f);
    return bits ^ ((bits >> 31) & 0x7FFFFFFF);
  }

  @Override
  public byte[] tokenBytes(int previous, int token) {
    if (token < 0 || token >= pieces.length) {
      throw new IllegalArgumentException(
          "token id " + token + " outside vocabulary of " + pieces.length);
    }
    if (token == bosId || token == eosId || specials.isSilent(token)) {
      return new byte[0];
    }
    String piece = pieces[token];
    if (previous == bosId && piece.startsWith(" ")) {
      piece = piece.substring(1);
    }
    if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
      try {
        return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
      } catch (NumberFormatException notAByte) {
        // an ordinary piece that happens to look like one
      }
    }
    return piece.getBytes(StandardCharsets.UTF_8);
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
    return pieces.length;
  }

  @Override
  public boolean isEndOfSequence(int token) {
    return token == eosId || (bosEndsSequence && token == bosId);
  }

  /**
   * Why byte fallback cannot encode every text with this vocabulary (a byte with neither a {@code
   * <0xHH>} piece nor the id {@code byte + 3}, which a model's file then has no row for), or null
   * when it can. Model loaders refuse such a vocabulary.
   */
  public String byteFallbackGap() {
    for (int b = 0; b < 256; b++) {
      if (byteTokens[b] >= pieces.length) {
        return String.format(
            "the vocabulary of %d pieces has no token for byte 0x%02X (neither <0x%02X> nor id %d)",
            pieces.length, b, b, b + 3);
      }
    }
    return null;
  }

  public String piece(int token) {
    return pieces[token];
  }

  /** The score of {@code token}'s piece: of two possible merges, the higher-scoring one is made. */
  public float score(int token) {
    return scores[token];
  }
}
