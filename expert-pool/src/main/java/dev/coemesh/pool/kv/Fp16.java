package dev.coemesh.pool.kv;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions between floats and IEEE binary16 values held in {@code short}s, for the 16-bit KV
 * cache. Rounding to half precision (on write) is {@link Float#floatToFloat16}; widening is exact.
 */
public final class Fp16 {
  /** The float species the engine computes in; {@link #load} fills one vector of it. */
  public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private static final VectorSpecies<Short> H =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

  private Fp16() {}

  /** {@code dst[dstOff + i] = half(src[srcOff + i])}, rounded to nearest even, for i < n. */
  public static void round(float[] src, int srcOff, short[] dst, int dstOff, int n) {
    // a plain loop: C2 turns it into vector conversions (vcvtps2ph)
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
    }
  }

  /** {@code dst[dstOff + i] = float(src[srcOff + i])} for i < n. */
  public static void widen(short[] src, int srcOff, float[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = toFloat(src[srcOff + i]);
    }
  }

  /** One half as a float. */
  public static float toFloat(short half) {
    return Float.float16ToFloat(half);
  }

  /**
   * {@code F.length()} halves from {@code a[offset..]} as floats. The Vector API has no half
   * conversion, so this moves the half's sign, exponent and mantissa into float position ({@code
   * bits << 13}, the sign back to bit 31) and rebases the exponent by multiplying with 2^112, which
   * is exact for every finite half, subnormals included. Infinities and NaNs (a K or V beyond
   * ±65504, which wrecks attention in any precision) read back as large finite values instead.
   */
  public static FloatVector load(short[] a, int offset) {
    // widened with sign extension, so bits 28..31 all hold the sign: keep bit 31 and the
    // 15 exponent and mantissa bits that landed in 13..27
    IntVector bits =
        (IntVector) ShortVector.fromArray(H, a, offset).convertShape(VectorOperators.S2I, I, 0);
    return bits.lanewise(VectorOperators.LSHL, 13)
        .and(0x8FFFE000)
        .reinterpretAsFloats()
        .mul(0x1p112f);
  }
}
