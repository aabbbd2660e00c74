package dev.coemesh.kv.codec;

/**
 * CacheGen's per-token symmetric quantizer, applied to {@code x - mean[channel]}: for one (layer,
 * K|V) slot, each token's channels share the scale {@code max|x - mean|}; with {@code MAX = bins/2
 * - 1}, {@code sym = round((x - mean)·MAX/scale + MAX)} in [0, 2·MAX]. A token equal to the means
 * (scale 0) codes every channel as MAX and decodes to the means. With all means 0 this is exactly
 * the reference quantizer.
 */
final class Quantizer {
  private Quantizer() {}

  static void quantize(
      float[] data,
      float[] means,
      byte[] symbols,
      float[] scales,
      int slot,
      int tokens,
      int c,
      int bins) {
    int max = bins / 2 - 1;
    int m = slot * c;
    for (int t = 0; t < tokens; t++) {
      int base = (slot * tokens + t) * c;
      float scale = 0;
      for (int ch = 0; ch < c; ch++) { // a compare, not Math.max: NaN-exact max is much slower
        float d = Math.abs(data[base + ch] - means[m + ch]);
        scale = d > scale ? d : scale;
      }
      scale = bf16RoundUp(scale);
      scales[slot * tokens + t] = scale;
      float factor = scale == 0 || !Float.isFinite(scale) ? 0 : max / scale;
      float centre = max + 0.5f; // v + 0.5 truncated is round-half-up for v >= 0
      for (int ch = 0; ch < c; ch++) {
        // (int) of NaN (a NaN input) is 0, and the clamp keeps float rounding inside the alphabet
        int s = (int) ((data[base + ch] - means[m + ch]) * factor + centre);
        symbols[base + ch] = (byte) Math.max(0, Math.min(2 * max, s));
      }
    }
  }

  static void dequantize(
      byte[] symbols,
      float[] means,
      float[] scales,
      float[] data,
      int slot,
      int tokens,
      int c,
      int bins) {
    int max = bins / 2 - 1;
    int m = slot * c;
    for (int t = 0; t < tokens; t++) {
      int base = (slot * tokens + t) * c;
      float step = scales[slot * tokens + t] / max;
      for (int ch = 0; ch < c; ch++) {
        data[base + ch] = (symbols[base + ch] - max) * step + means[m + ch];
      }
    }
  }

  /**
   * The smallest bfloat16 value >= {@code scale}: scales travel as bf16 (half the bytes of f32, the
   * f32 range), and rounding up keeps every value within [-scale, scale].
   */
  static float bf16RoundUp(float scale) {
    if (!(scale > 0) || !Float.isFinite(scale)) {
      return scale;
    }
    int bits = Float.floatToRawIntBits(scale);
    int truncated = bits & 0xFFFF0000;
    return Float.intBitsToFloat(truncated == bits ? bits : truncated + 0x10000);
  }

  /** The largest reconstruction error for a value under {@code scale}: half a step. */
  static float errorBound(float scale, int bins) {
    return scale / (bins / 2 - 1) / 2;
  }
}
