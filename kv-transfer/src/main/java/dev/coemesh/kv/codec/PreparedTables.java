package dev.coemesh.kv.codec;

/**
 * {@link CodecTables} laid out for the coders: every table as {@link ArithmeticCoder#table} holds
 * them, in one array (value-symbol tables by (slot, channel, context), then the scale tables by
 * slot, then a uniform table for raw bytes), with the decoder's guess tables beside them. Built
 * once per calibrated table and per inline blob; immutable.
 */
final class PreparedTables {
  final CodecTables tables;
  final char[] cdf;
  final byte[] guess;
  final int lp;
  private final int valueTables;
  private final int slots;

  PreparedTables(CodecTables tables) {
    this.tables = tables;
    this.lp = tables.maxBins() + 1;
    this.slots = 2 * tables.layers();
    this.valueTables = slots * tables.kvDim() * tables.contexts();
    int scaleLp = CodecTables.SCALE_SYMBOLS + 1;
    this.cdf = new char[valueTables * lp + slots * scaleLp + 257];
    this.guess = new byte[(valueTables + slots + 1) * ArithmeticDecoder.GUESS_BUCKETS];
    for (int t = 0; t < valueTables; t++) {
      place(tables.cdf(), t * lp, lp, t * lp, t);
    }
    for (int slot = 0; slot < slots; slot++) {
      place(tables.scaleCdf(), slot * scaleLp, scaleLp, scaleTable(slot), valueTables + slot);
    }
    int raw = rawTable();
    for (int i = 0; i < 256; i++) {
      cdf[raw + i] = (char) (i << 8); // every byte 1/256: exactly eight bits
    }
    cdf[raw + 256] = 0xFFFF; // the top's upper bound, 0x10000 (ArithmeticCoder.upper)
    ArithmeticDecoder.guesses(cdf, raw, guess, rawGuess());
  }

  private void place(int[] reference, int from, int length, int to, int table) {
    for (int i = 0; i < length; i++) {
      cdf[to + i] = (char) reference[from + i];
    }
    ArithmeticDecoder.guesses(cdf, to, guess, table * ArithmeticDecoder.GUESS_BUCKETS);
  }

  /** The index of the value-symbol table of (slot, channel, context); see {@link #valueTable}. */
  int valueIndex(int slot, int channel, int context) {
    return (slot * tables.kvDim() + channel) * tables.contexts() + context;
  }

  /** The cdf offset of value-symbol table {@code index}. */
  int valueTable(int index) {
    return index * lp;
  }

  /** The guess offset of value-symbol table {@code index}. */
  int valueGuess(int index) {
    return index * ArithmeticDecoder.GUESS_BUCKETS;
  }

  int scaleTable(int slot) {
    return valueTables * lp + slot * (CodecTables.SCALE_SYMBOLS + 1);
  }

  int scaleGuess(int slot) {
    return (valueTables + slot) * ArithmeticDecoder.GUESS_BUCKETS;
  }

  int rawTable() {
    return valueTables * lp + slots * (CodecTables.SCALE_SYMBOLS + 1);
  }

  int rawGuess() {
    return (valueTables + slots) * ArithmeticDecoder.GUESS_BUCKETS;
  }

  /**
   * Per symbol value, the context it sets for the same channel of the next token (0 with one
   * context), for every symbol of the alphabet, so a malformed stream cannot index outside it.
   */
  int[] contextsOf(int max) {
    int[] out = new int[tables.maxBins()];
    for (int s = 0; s < out.length; s++) {
      out[s] = tables.contexts() == 1 ? 0 : CodecTables.context(s, max);
    }
    return out;
  }

  /** The context of the first token of a stream: the centre's. */
  int firstContext() {
    return tables.contexts() / 2;
  }
}
