package dev.coemesh.pool.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.model.Weight;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our encoders write valid blocks that decode (with the engine's llama.cpp-exact dequantization) to
 * within the type's grid: the root-mean-square error relative to the values' RMS stays under the
 * stated bound for Gaussian weights, and all-zero blocks decode to exact zeros (of either sign, as
 * in llama.cpp). The bounds are about 1.5 times a uniform quantizer's error over the block's range
 * at that many levels ({@code range / levels / sqrt(12)}, range about 6 sigma for 256 Gaussian
 * values), which leaves room for the quantized sub-block scales.
 */
class BlockEncoderTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "Q8_0, 0.012",
    "Q4_0, 0.15",
    "Q4_1, 0.12",
    "Q5_0, 0.07",
    "Q5_1, 0.06",
    "Q2_K, 0.45",
    "Q3_K, 0.30",
    "Q4_K, 0.12",
    "Q5_K, 0.06",
    "Q6_K, 0.03"
  })
  void roundTripsWithinTheTypesError(TensorType type, double maxRelativeRms) {
    int cols = 1024;
    int rows = 8;
    SplittableRandom random = new SplittableRandom(42);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * 0.02);
    }
    System.arraycopy(new float[256], 0, values, 0, 256); // an all-zero block
    byte[] bytes = Quantizer.encode(values, type);
    assertEquals(type.bytesFor(values.length), bytes.length);
    Weight w = new Weight("w", type, rows, cols, MemorySegment.ofArray(bytes));
    float[] decoded = new float[values.length];
    for (int r = 0; r < rows; r++) {
      w.readRow(r, decoded, r * cols);
    }
    for (int i = 0; i < 256; i++) {
      assertTrue(decoded[i] == 0, type + " zero block value " + i + ": " + decoded[i]); // or -0
    }
    double error = 0;
    double energy = 0;
    for (int i = 256; i < values.length; i++) {
      error += (decoded[i] - values[i]) * (double) (decoded[i] - values[i]);
      energy += values[i] * (double) values[i];
    }
    double relative = Math.sqrt(error / energy);
    assertTrue(relative <= maxRelativeRms, type + " relative RMS error " + relative);
    assertTrue(relative > 0, type + " is lossy");
  }
}
