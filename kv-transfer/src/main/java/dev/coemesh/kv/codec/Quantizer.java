package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;

/**
 * CacheGen's per-token symmetric quantizer, applied to {@code x - mean[channel]}: for one (layer,
 * K|V) slot, each token's channels share one scale that covers {@code max|x - mean|}; with {@code
 * MAX = bins/2 - 1}, {@code sym = round((x - mean)·MAX/scale + MAX)} in [0, 2·MAX]. A token equal
 * to the means (scale 0) codes every channel as MAX and decodes to the means.
 *
 * <p>Scales travel as codes on a log scale, eight steps an octave: a token's scale is the smallest
 * {@code 2^(code/8)} at or above its largest deviation. The reference ships a 16-bit float per
 * (slot, token); at 32 channels that alone is half a bit per value, while the codes, entropy-coded
 * against their slot's usual range, cost about a tenth of that. Rounding up to the next eighth of
 * an octave widens the step by 4.5% on average.
 */
final class Quantizer {
  private Quantizer() {}

  static final int STEPS_PER_OCTAVE = 8;

  /** The code of a zero scale (a token equal to the means). */
  static final int ZERO_SCALE = Integer.MIN_VALUE;

  /** Codes of positive finite scales: 2^-149 (the smallest float) to 2^127. */
  static final int MIN_CODE = -149 * STEPS_PER_OCTAVE;

  static final int MAX_CODE = 127 * STEPS_PER_OCTAVE;

  private static final float[] SCALES = new float[MAX_CODE - MIN_CODE + 1];

  static {
    for (int code = MIN_CODE; code <= MAX_CODE; code++) {
      // StrictMath: every JVM must decode a code to the same float
      SCALES[code - MIN_CODE] = (float) StrictMath.pow(2, (double) code / STEPS_PER_OCTAVE);
    }
  }

  /** A tensor's symbols {@code [slot][token][channel]} and scale codes {@code [slot][token]}. */
  record Quantized(int layers, int tokens, int kvDim, byte[] symbols, int[] codes) {}

  static Quantized quantize(KvTensor kv, float[] means, CodecLevel level) {
    int layers = kv.layers();
    int tokens = kv.tokens();
    int c = kv.kvDim();
    float[] data = kv.data();
    byte[] symbols = new byte[data.length];
    int[] codes = new int[2 * layers * tokens];
    for (int slot = 0; slot < 2 * layers; slot++) {
      int max = level.bins(slot & 1, slot >> 1, layers) / 2 - 1;
      int m = slot * c;
      for (int t = 0; t < tokens; t++) {
        int base = (slot * tokens + t) * c;
        float deviation = 0;
        for (int ch = 0; ch < c; ch++) { // a compare, not Math.max: NaN-exact max is much slower
          float d = Math.abs(data[base + ch] - means[m + ch]);
          deviation = d > deviation ? d : deviation;
        }
        if (!(deviation <= SCALES[SCALES.length - 1])) { // NaN, infinite, or beyond 2^127
          throw new MeshException(
              ErrorCode.INVALID_REQUEST,
              "KV value out of the codec's range (NaN, infinite or above 2^127) in layer "
                  + (slot >> 1)
                  + (slot % 2 == 0 ? " K" : " V")
                  + ", token "
                  + t);
        }
        int code = scaleCode(deviation);
        codes[slot * tokens + t] = code;
        float factor = code == ZERO_SCALE ? 0 : max / scaleOf(code);
        float centre = max + 0.5f; // v + 0.5 truncated is round-half-up for v >= 0
        for (int ch = 0; ch < c; ch++) {
          // the clamp keeps float rounding inside the alphabet
          int s = (int) ((data[base + ch] - means[m + ch]) * factor + centre);
          symbols[base + ch] = (byte) Math.max(0, Math.min(2 * max, s));
        }
      }
    }
    return new Quantized(layers, tokens, c, symbols, codes);
  }

  /** The smallest code whose scale is at or above {@code deviation} (finite, >= 0). */
  static int scaleCode(float deviation) {
    if (deviation == 0) {
      return ZERO_SCALE;
    }
    int code = (int) Math.ceil(Math.log(deviation) * (STEPS_PER_OCTAVE / Math.log(2))) - MIN_CODE;
    code = Math.max(0, Math.min(SCALES.length - 1, code));
    while (code < SCALES.length - 1 && SCALES[code] < deviation) {
      code++;
    }
    while (code > 0 && SCALES[code - 1] >= deviation) {
      code--;
    }
    return code + MIN_CODE;
  }

  /** The scale of a code; 0 for {@link #ZERO_SCALE}. */
  static float scaleOf(int code) {
    return code == ZERO_SCALE ? 0 : SCALES[code - MIN_CODE];
  }

  /** The largest reconstruction error for a value under {@code scale}: half a step. */
  static float errorBound(float scale, int bins) {
    return scale / (bins / 2 - 1) / 2;
  }
}
