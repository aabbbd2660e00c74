package dev.coemesh.pool.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece-style BPE with scores (llama2.c tokenizer files, GGUF {@code
 * tokenizer.ggml.model=llama}): a dummy-prefix space, one token per character where the vocabulary
 * has it, byte fallback ({@code <0xHH>} tokens) where it does not, then greedy merging of the
 * adjacent pair whose merged piece scores highest. Pieces use a plain space for the word marker.
 */
public final class SentencePieceTokenizer implements Tokenizer {
  private final String[] pieces;
  private final float[] scores;
  private final Map<String, Integer> ids;
  private final int[] byteTokens = new int[256];
  private final int bosId;
  private final int eosId;
  private final boolean bosEndsSequence;

  /**
   * @param pieces token strings, the word marker {@code ▁} already replaced by a space
   * @param bosEndsSequence llama2.c stops when BOS is sampled; GGUF models stop on EOS only
   */
  public SentencePieceTokenizer(
      String[] pieces, float[] scores, int bosId, int eosId, boolean bosEndsSequence) {
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
      Integer id = ids.get(String.format("<0x%02X>", b));
      byteTokens[b] = id == null ? -1 : id;
    }
    this.bosId = bosId;
    this.eosId = eosId;
    this.bosEndsSequence = bosEndsSequence;
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
    mergeGreedily(tokens);
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

  private void mergeGreedily(List<Integer> tokens) {
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
        return;
      }
      tokens.set(bestIndex, bestId);
      tokens.remove(bestIndex + 1);
    }
  }

  @Override
  public byte[] tokenBytes(int previous, int token) {
    if (token < 0 || token >= pieces.length) {
      throw new IllegalArgumentException(
          "token id " + token + " outside vocabulary of " + pieces.length);
    }
    if (token == bosId || token == eosId) {
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

  public String piece(int token) {
    return pieces[token];
  }
}
