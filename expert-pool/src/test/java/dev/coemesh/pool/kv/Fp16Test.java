package dev.coemesh.pool.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class Fp16Test {

  @Test
  void theVectorLoadWidensEveryFiniteHalfExactly() {
    int lanes = Fp16.F.length();
    short[] halves = new short[1 << 16];
    for (int i = 0; i < halves.length; i++) {
      halves[i] = (short) i;
    }
    float[] widened = new float[lanes];
    for (int i = 0; i < halves.length; i += lanes) {
      Fp16.load(halves, i).intoArray(widened, 0);
      for (int j = 0; j < lanes; j++) {
        float expected = Float.float16ToFloat(halves[i + j]);
        if (Float.isFinite(expected)) {
          assertEquals(
              Float.floatToRawIntBits(expected),
              Float.floatToRawIntBits(widened[j]),
              "half 0x" + Integer.toHexString(i + j));
        }
      }
    }
  }

  @Test
  void roundAndWidenAreFloatsOwnConversions() {
    float[] values = {0f, -0f, 1f, -2.5f, 1e-7f, 3.14159f, 65519f, 65520f, -1e9f, Float.NaN};
    short[] halves = new short[values.length];
    Fp16.round(values, 0, halves, 0, values.length);
    float[] back = new float[values.length];
    Fp16.widen(halves, 0, back, 0, values.length);
    for (int i = 0; i < values.length; i++) {
      assertEquals(Float.floatToFloat16(values[i]), halves[i]);
      assertEquals(Float.float16ToFloat(halves[i]), back[i]);
    }
  }
}
