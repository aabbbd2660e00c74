package dev.coemesh.pool.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x in float arithmetic only (multiply-adds, adds, one conversion), for softmax and SwiGLU.
 *
 * <p>Why not {@code VectorOperators.EXP}: compiled, it is a vendor math routine; interpreted or
 * compiled by C1, it is {@code Math.exp} per lane; the two differ in the last bit now and then. A
 * token computed while the engine's code is still warming up would then differ from the same token
 * computed later, and prefill would not equal single steps bit for bit. These operations round
 * alike on every tier, and the scalar form performs the same operations, so vector bodies and
 * scalar tails agree too.
 *
 * <p>Method (Cephes' expf): x = n·ln2 + r with n the nearest integer to x/ln2 (ln2 in two parts, so
 * r is accurate) and |r| ≤ ln2/2; e^r by a degree-7 polynomial; 2^n built in the exponent bits.
 * Within 2 ulp of e^x over the clamped range [-87, 88]; inputs beyond it give e^-87 or e^88 (no
 * subnormals, no infinities; NaN stays NaN).
 */
final class Exp {
  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  // adding 1.5·2^23 rounds to an integer (to nearest even) and leaves it in the low mantissa bits
  private static final float ROUND = 12582912f;
  private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  private static final float LOW = -87f;
  private static final float HIGH = 88f;
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;

  private Exp() {}

  static FloatVector exp(FloatVector x) {
    FloatVector c = x.max(LOW).min(HIGH);
    FloatVector t = c.fma(LOG2E, ROUND);
    FloatVector n = t.sub(ROUND);
    FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), c);
    r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
    FloatVector p = r.fma(P0, P1);
    p = p.fma(r, FloatVector.broadcast(x.species(), P2));
    p = p.fma(r, FloatVector.broadcast(x.species(), P3));
    p = p.fma(r, FloatVector.broadcast(x.species(), P4));
    p = p.fma(r, FloatVector.broadcast(x.species(), P5));
    FloatVector r2 = r.mul(r);
    FloatVector e = p.fma(r2, r).add(1f);
    FloatVector scale =
        t.reinterpretAsInts()
            .sub(ROUND_BITS - 127)
            .lanewise(VectorOperators.LSHL, 23)
            .reinterpretAsFloats();
    return e.mul(scale);
  }

  /** The same operations on one value (a vector loop's tail). */
  static float exp(float x) {
    float c = Math.min(Math.max(x, LOW), HIGH);
    float t = Math.fma(c, LOG2E, ROUND);
    float n = t - ROUND;
    float r = Math.fma(n, -LN2_HI, c);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(r, P0, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    float r2 = r * r;
    float e = Math.fma(p, r2, r) + 1f;
    float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUND_BITS - 127)) << 23);
    return e * scale;
  }
}
