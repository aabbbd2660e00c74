package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.util.Arrays;

/**
 * One arithmetic-coded stream per (slot, sub-chunk): token by token, the scale symbol (and, for an
 * escape, the code's two raw bytes), then, unless the scale is zero, the token's channel symbols,
 * each under the table of its (slot, channel, context). The reference codes one stream per (slot,
 * channel) so that a GPU thread can take each; on a CPU, the ~2 bytes of termination and length a
 * stream costs were a fifth of a small chunk, so the streams here are per slot and the decoder
 * overlaps the K and V streams of a layer instead.
 */
final class SlotStreams {
  private SlotStreams() {}

  /** Appends the stream of {@code slot} for tokens {@code [t0, t0+n)} and returns its length. */
  static int encode(
      ArithmeticEncoder coder, Quantizer.Quantized q, PreparedTables p, int slot, int t0, int n) {
    int c = q.kvDim();
    CodecTables t = p.tables;
    int max = t.level().bins(slot & 1, slot >> 1, t.layers()) / 2 - 1;
    int[] contextOf = p.contextsOf(max);
    int base = t.scaleBases()[slot];
    byte[] symbols = new byte[n * (c + 3)];
    int[] offsets = new int[symbols.length];
    int[] context = new int[c];
    Arrays.fill(context, p.firstContext());
    int k = 0;
    for (int token = t0; token < t0 + n; token++) {
      int code = q.codes()[slot * q.tokens() + token];
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
      if (code == Quantizer.ZERO_SCALE) {
        Arrays.fill(context, contextOf[max]);
        continue;
      }
      int at = (slot * q.tokens() + token) * c;
      for (int ch = 0; ch < c; ch++) {
        int s = q.symbols()[at + ch];
        symbols[k] = (byte) s;
        offsets[k++] = p.valueTable(p.valueIndex(slot, ch, context[ch]));
        context[ch] = contextOf[s];
      }
    }
    return coder.append(symbols, offsets, k, p.cdf);
  }

  /**
   * Decodes the K and V streams of {@code layer} for tokens {@code [t0, t0+n)} in lockstep and
   * writes the dequantized values into {@code out} ({@code [slot][token][channel]} of {@code
   * tokens} tokens). {@code bins} are the blob's bins per slot.
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
    Side k = new Side(new ArithmeticDecoder(blob, start, lengthK), p, 2 * layer, bins);
    Side v =
        new Side(new ArithmeticDecoder(blob, start + lengthK, lengthV), p, 2 * layer + 1, bins);
    int c = p.tables.kvDim();
    float[] means = p.tables.means();
    for (int token = t0; token < t0 + n; token++) {
      int codeK = k.code();
      int codeV = v.code();
      int atK = (k.slot * tokens + token) * c;
      int atV = (v.slot * tokens + token) * c;
      if (codeK == Quantizer.ZERO_SCALE || codeV == Quantizer.ZERO_SCALE) {
        k.token(codeK, out, atK, means); // a zero scale: that side codes no channels
        v.token(codeV, out, atV, means);
        continue;
      }
      float stepK = Quantizer.scaleOf(codeK) / k.max;
      float stepV = Quantizer.scaleOf(codeV) / v.max;
      decodeRow(k, v, stepK, stepV, out, atK, atV, means);
    }
  }

  /** One token's channels of both sides, the two decoding chains interleaved. */
  private static void decodeRow(
      Side k, Side v, float stepK, float stepV, float[] out, int atK, int atV, float[] means) {
    PreparedTables p = k.p;
    char[] cdf = p.cdf;
    byte[] guess = p.guess;
    ArithmeticDecoder streamK = k.stream;
    ArithmeticDecoder streamV = v.stream;
    int[] contextK = k.context;
    int[] contextV = v.context;
    int[] ofK = k.contextOf;
    int[] ofV = v.contextOf;
    int tableK = k.tableBase;
    int tableV = v.tableBase;
    int contexts = k.contexts;
    int c = contextK.length;
    int meanK = k.slot * c;
    int meanV = v.slot * c;
    float maxK = k.max;
    float maxV = v.max;
    int lp = p.lp;
    for (int ch = 0; ch < c; ch++) {
      int indexK = tableK + ch * contexts + contextK[ch];
      int indexV = tableV + ch * contexts + contextV[ch];
      int sK = streamK.next(cdf, indexK * lp, guess, indexK * ArithmeticDecoder.GUESS_BUCKETS);
      int sV = streamV.next(cdf, indexV * lp, guess, indexV * ArithmeticDecoder.GUESS_BUCKETS);
      contextK[ch] = ofK[sK];
      contextV[ch] = ofV[sV];
      out[atK + ch] = (sK - maxK) * stepK + means[meanK + ch];
      out[atV + ch] = (sV - maxV) * stepV + means[meanV + ch];
    }
  }

  /** One slot's stream and its decoding state. */
  private static final class Side {
    final ArithmeticDecoder stream;
    final PreparedTables p;
    final int slot;
    final int max;
    final int[] contextOf;
    final int[] context;
    final int contexts;
    final int tableBase;
    private final int base;

    Side(ArithmeticDecoder stream, PreparedTables p, int slot, int[] bins) {
      this.stream = stream;
      this.p = p;
      this.slot = slot;
      this.max = bins[slot] / 2 - 1;
      this.contextOf = p.contextsOf(max);
      this.context = new int[p.tables.kvDim()];
      Arrays.fill(context, p.firstContext());
      this.contexts = p.tables.contexts();
      this.tableBase = p.valueIndex(slot, 0, 0);
      this.base = p.tables.scaleBases()[slot];
    }

    /** Decodes the next token's scale code. */
    int code() {
      int symbol = stream.next(p.cdf, p.scaleTable(slot), p.guess, p.scaleGuess(slot));
      int code;
      if (symbol == CodecTables.SCALE_ESCAPE) {
        int high = stream.next(p.cdf, p.rawTable(), p.guess, p.rawGuess());
        int low = stream.next(p.cdf, p.rawTable(), p.guess, p.rawGuess());
        code = ((high << 8) | low) - 0x8000;
      } else {
        code = CodecTables.scaleCodeOf(symbol, base);
      }
      if (code != Quantizer.ZERO_SCALE
          && (code < Quantizer.MIN_CODE || code > Quantizer.MAX_CODE)) {
        throw new MeshException(ErrorCode.KV_CORRUPT, "KV blob has an invalid scale code " + code);
      }
      return code;
    }

    /** Decodes one token of this side alone (the other side's scale was zero, or this one's). */
    void token(int code, float[] out, int at, float[] means) {
      int c = context.length;
      if (code == Quantizer.ZERO_SCALE) {
        System.arraycopy(means, slot * c, out, at, c);
        Arrays.fill(context, contextOf[max]);
        return;
      }
      float step = Quantizer.scaleOf(code) / max;
      for (int ch = 0; ch < c; ch++) {
        int index = tableBase + ch * contexts + context[ch];
        int s = stream.next(p.cdf, p.valueTable(index), p.guess, p.valueGuess(index));
        context[ch] = contextOf[s];
        out[at + ch] = (s - max) * step + means[slot * c + ch];
      }
    }
  }
}
