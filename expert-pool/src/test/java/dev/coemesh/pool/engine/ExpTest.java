package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ExpTest {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  @Test
  void withinTwoUlpOfMathExpAndVectorEqualsScalarBitForBit() {
    SplittableRandom random = new SplittableRandom(5);
    float[] x = new float[S.length()];
    float[] out = new float[S.length()];
    for (int round = 0; round < 20_000; round++) {
      for (int i = 0; i < x.length; i++) {
        // most of the range, and the softmax range [-20, 0] densely
        x[i] =
            (float) (round % 2 == 0 ? random.nextDouble(-87, 88) : random.nextDouble(-20, 0.001));
      }
      Exp.exp(FloatVector.fromArray(S, x, 0)).intoArray(out, 0);
      for (int i = 0; i < x.length; i++) {
        float scalar = Exp.exp(x[i]);
        assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(out[i]), "x=" + x[i]);
        float exact = (float) Math.exp(x[i]);
        assertTrue(
            Math.abs(scalar - exact) <= 2 * Math.ulp(exact),
            "x=" + x[i] + " exp=" + scalar + " Math.exp=" + exact);
      }
    }
  }

  @Test
  void clampsInsteadOfOverflowingOrGoingSubnormal() {
    assertEquals((float) Math.exp(88), Exp.exp(1000f), 2 * Math.ulp((float) Math.exp(88)));
    assertEquals((float) Math.exp(-87), Exp.exp(-1000f), 2 * Math.ulp((float) Math.exp(-87)));
    assertEquals(1f, Exp.exp(0f));
    assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
  }
}
