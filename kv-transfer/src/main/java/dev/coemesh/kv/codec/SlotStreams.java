package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;

/**
 * One arithmetic-coded stream per (slot, sub-chunk): first the scale symbol of every token (and,
 * for an escape, the code's two raw bytes), then the value symbols channel by channel, each
 * channel's tokens in order (skipping tokens whose scale is zero), each symbol under the table of
 * its (slot, channel, context). The reference codes one stream per (slot, channel) so that a GPU
 * thread can take each; on a CPU, the ~2 bytes of termination and length a stream costs were a
 * fifth of a small chunk, so the streams here are per slot, and the decoder overlaps the K and V
 * streams of a layer instead. Channel-major order keeps the decoder on one channel's few tables at
 * a time (in L1) rather than sweeping every channel's tables once per token.
 */
final class SlotStreams {
  private SlotStreams() {}

  /**
   * Room for the symbols and table offsets of one stream of {@code tokens} tokens, reused by every
   * stream of a chunk (a 15M-shape slot of 256 tokens is ~75,000 symbols).
   */
  record Scratch(byte[] symbols, int[] offsets) {
    Scratch(int tokens, int channels) {
      this(new byte[tokens * (channels + 3)], new int[tokens * (channels + 3)]);
    }
  }

  /** Appends the stream of {@code slot} for tokens {@code [t0, t0+n)} and returns its length. */
  static int encode(
      ArithmeticEncoder coder,
      Quantizer.Quantized q,
      PreparedTables p,
      int slot,
      int t0,
      int n,
      Scratch scratch) {
    int c = q.kvDim();
    CodecTables t = p.tables;
    int max = t.level().bins(slot & 1, slot >> 1, t.layers()) / 2 - 1;
    int[] contextOf = p.contextsOf(max);
    int base = t.scaleBases()[slot];
    int[] codes = q.codes();
    int codeAt = slot * q.tokens();
    byte[] symbols = scratch.symbols(); // at most c + 3 symbols a token
    int[] offsets = scratch.offsets();
    int k = 0;
    for (int token = t0; token < t0 + n; token++) {
      int code = codes[codeAt + token];
      int scale = CodecTables.scaleSymbol(code, base);
      symbols[k] = (byte) scale;
      offsets[k++] = p.scaleTable(slot);
      if (scale == CodecTables.SCALE_ESCAPE) {
        int raw = code + 0x8000; // codes fit in 16 bits (Quantizer.MIN_CODE..MAX_CODE)
        symbols[k] = (byte) (raw >>> 8);
        offsets[k++] = p.rawTable();
        symbols[k] = (byte) raw;
        offsets[k++] = p.rawTable();
      }
    }
    byte[] values = q.symbols();
    for (int ch = 0; ch < c; ch++) {
      int context = p.firstContext();
      int table = p.valueIndex(slot, ch, 0);
      for (int token = t0, at = (slot * q.tokens() + t0) * c + ch;
          token < t0 + n;
          token++, at += c) {
        if (codes[codeAt + token] == Quantizer.ZERO_SCALE) {
          context = contextOf[max]; // as if the token sat on the centre
          continue;
        }
        int s = values[at];
        symbols[k] = (byte) s;
        offsets[k++] = p.valueTable(table + context);
        context = contextOf[s];
      }
    }
    return coder.append(symbols, offsets, k, p.cdf);
  }

  /**
   * Decodes the K and V streams of {@code layer} for tokens {@code [t0, t0+n)}, the two serial
   * chains interleaved, and writes the dequantized values into {@code out} ({@code
   * [slot][token][channel]} of {@code tokens} tokens). {@code bins} are the blob's bins per slot.
   */
  static void decodeLayer(
      byte[] blob,
      int start,
      int lengthK,
      int lengthV,
      PreparedTables p,
      int layer,
      int t0,
      int n,
      int tokens,
      int[] bins,
      float[] out) {
    Side k = new Side(new ArithmeticDecoder(blob, start, lengthK), p, 2 * layer, bins, n);
    Side v =
        new Side(new ArithmeticDecoder(blob, start + lengthK, lengthV), p, 2 * layer + 1, bins, n);
    k.scales();
    v.scales();
    int c = p.tables.kvDim();
    float[] means = p.tables.means();
    char[] cdf = p.cdf;
    byte[] guess = p.guess;
    ArithmeticDecoder streamK = k.stream;
    ArithmeticDecoder streamV = v.stream;
    for (int ch = 0; ch < c; ch++) {
      int tableK = k.tableBase + ch * k.contexts;
      int tableV = v.tableBase + ch * v.contexts;
      int contextK = p.firstContext();
      int contextV = p.firstContext();
      float meanK = means[k.slot * c + ch];
      float meanV = means[v.slot * c + ch];
      int atK = (k.slot * tokens + t0) * c + ch;
      int atV = (v.slot * tokens + t0) * c + ch;
      for (int i = 0; i < n; i++, atK += c, atV += c) {
        float stepK = k.steps[i];
        float stepV = v.steps[i];
        if (stepK != 0) {
          int index = tableK + contextK;
          int s =
              streamK.next(
                  cdf, p.valueTable(index), guess, index * ArithmeticDecoder.GUESS_BUCKETS);
          contextK = k.contextOf[s];
          out[atK] = (s - k.max) * stepK + meanK;
        } else {
          contextK = k.contextOf[k.max];
          out[atK] = meanK;
        }
        if (stepV != 0) {
          int index = tableV + contextV;
          int s =
              streamV.next(
                  cdf, p.valueTable(index), guess, index * ArithmeticDecoder.GUESS_BUCKETS);
          contextV = v.contextOf[s];
          out[atV] = (s - v.max) * stepV + meanV;
        } else {
          contextV = v.contextOf[v.max];
          out[atV] = meanV;
        }
      }
    }
  }

  /** One slot's stream and its decoding state. */
  private static final class Side {
    final ArithmeticDecoder stream;
    final PreparedTables p;
    final int slot;
    final int max;
    final int[] contextOf;
    final int contexts;
    final int tableBase;

    /** Per token of the sub-chunk, its quantization step; 0 for a zero scale. */
    final float[] steps;

    private final int base;

    Side(ArithmeticDecoder stream, PreparedTables p, int slot, int[] bins, int tokens) {
      this.stream = stream;
      this.p = p;
      this.slot = slot;
      this.max = bins[slot] / 2 - 1;
      this.contextOf = p.contextsOf(max);
      this.contexts = p.tables.contexts();
      this.tableBase = p.valueIndex(slot, 0, 0);
      this.base = p.tables.scaleBases()[slot];
      this.steps = new float[tokens];
    }

    /**
     * Decodes every token's scale code (the head of the stream) into {@link #steps}. A non-zero
     * scale whose step underflows to 0 would read as a zero scale, so the smallest steps are held
     * at the smallest positive float (values that small decode to the mean either way).
     */
    void scales() {
      for (int i = 0; i < steps.length; i++) {
        int symbol = stream.next(p.cdf, p.scaleTable(slot), p.guess, p.scaleGuess(slot));
        int code;
        if (symbol == CodecTables.SCALE_ESCAPE) {
          int high = stream.next(p.cdf, p.rawTable(), p.guess, p.rawGuess());
          int low = stream.next(p.cdf, p.rawTable(), p.guess, p.rawGuess());
          code = ((high << 8) | low) - 0x8000;
        } else {
          code = CodecTables.scaleCodeOf(symbol, base);
        }
        if (code == Quantizer.ZERO_SCALE) {
          steps[i] = 0;
        } else if (code < Quantizer.MIN_CODE || code > Quantizer.MAX_CODE) {
          throw new MeshException(
              ErrorCode.KV_CORRUPT, "KV blob has an invalid scale code " + code);
        } else {
          steps[i] = Math.max(Float.MIN_VALUE, Quantizer.scaleOf(code) / max);
        }
      }
    }
  }
}
