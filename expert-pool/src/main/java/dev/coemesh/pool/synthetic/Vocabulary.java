package dev.coemesh.pool.synthetic;

/**
 * A SentencePiece-style vocabulary of any size for synthetic models: unk, BOS, EOS, the 256 byte
 * pieces, printable ASCII characters, then filler pieces. Scores fall with the id, so merges that
 * exist prefer earlier pieces.
 */
record Vocabulary(String[] pieces, float[] scores, int maxPieceBytes) {
  static Vocabulary of(int size) {
    if (size < 259) {
      throw new IllegalArgumentException(
          "a synthetic vocabulary needs at least 259 tokens (bytes + 3)");
    }
    String[] pieces = new String[size];
    float[] scores = new float[size];
    pieces[0] = "<unk>";
    pieces[1] = "\n<s>\n";
    pieces[2] = "\n</s>\n";
    for (int b = 0; b < 256; b++) {
      pieces[3 + b] = String.format("<0x%02X>", b);
    }
    int id = 259;
    for (char ch = ' '; ch <= '~' && id < size; ch++, id++) {
      pieces[id] = String.valueOf(ch);
    }
    for (int filler = 0; id < size; id++, filler++) {
      pieces[id] = " w" + filler;
      scores[id] = -filler;
    }
    int max = 0;
    for (String p : pieces) {
      max = Math.max(max, p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
    return new Vocabulary(pieces, scores, max);
  }
}
