package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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
        float deviation = deviation(data, base, means, m, c);
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
        symbols(
            data, base, means, m, c, code == ZERO_SCALE ? 0 : max / scaleOf(code), max, symbols);
      }
    }
    return new Quantized(layers, tokens, c, symbols, codes);
  }

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

  /** {@code max |x[i] - mean[i]|} over a token's channels; NaN if any value is NaN. */
  private static float deviation(float[] x, int at, float[] means, int m, int c) {
    FloatVector most = FloatVector.zero(F);
    int ch = 0;
    for (int upper = F.loopBound(c); ch < upper; ch += F.length()) {
      most =
          most.max(
              FloatVector.fromArray(F, x, at + ch)
                  .sub(FloatVector.fromArray(F, means, m + ch))
                  .abs());
    }
    float deviation = most.reduceLanes(VectorOperators.MAX);
    for (; ch < c; ch++) {
      deviation = Math.max(deviation, Math.abs(x[at + ch] - means[m + ch]));
    }
    return deviation;
  }

  /**
   * A token's symbols, {@code round((x - mean)·factor + max)} clamped to [0, 2·max]; the clamp
   * keeps float rounding inside the alphabet.
   */
  private static void symbols(
      float[] x, int at, float[] means, int m, int c, float factor, int max, byte[] out) {
    float centre = max + 0.5f; // v + 0.5 truncated is round-half-up for v >= 0
    int ch = 0;
    for (int upper = F.loopBound(c); ch < upper; ch += F.length()) {
      FloatVector v =
          FloatVector.fromArray(F, x, at + ch)
              .sub(FloatVector.fromArray(F, means, m + ch))
              .mul(factor)
              .add(centre)
              .max(0f)
              .min(2 * max);
      v.convertShape(VectorOperators.F2B, B, 0).reinterpretAsBytes().intoArray(out, at + ch);
    }
    for (; ch < c; ch++) {
      int s = (int) ((x[at + ch] - means[m + ch]) * factor + centre);
      out[at + ch] = (byte) Math.max(0, Math.min(2 * max, s));
    }
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
