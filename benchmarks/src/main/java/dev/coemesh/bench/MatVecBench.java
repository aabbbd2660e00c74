package dev.coemesh.bench;

import dev.coemesh.pool.model.Kernels;
import dev.coemesh.pool.model.LayerWeights;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.Weight;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode-time matrix-vector product, {@code out = W·x} for one token ({@link Kernels#matmul} at
 * batch 1, all rows, on the calling thread; the engine splits the same call across its workers by
 * whole panels). The matrices are layer 0's as the engine loaded them (F32, packed in panels):
 * {@code wq} is dim × dim, {@code w1} hidden × dim, {@code w2} dim × hidden, {@code output} the
 * classifier, vocab × dim.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class MatVecBench {
  @Param({"stories260K", "stories15M"})
  public String shape;

  @Param({"wq", "w1", "w2", "output"})
  public String matrix;

  private Weight weight;
  private float[] x; // [cols]
  private float[] out; // [rows]

  @Setup
  public void setUp() {
    Model model = BenchModel.of(shape).load();
    LayerWeights layer = model.weights().layers().getFirst();
    weight =
        switch (matrix) {
          case "wq" -> layer.wq();
          case "w1" -> layer.w1();
          case "w2" -> layer.w2();
          case "output" -> model.weights().output();
          default -> throw new IllegalArgumentException("unknown matrix " + matrix);
        };
    SplittableRandom random = new SplittableRandom(42);
    x = new float[weight.cols()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    out = new float[weight.rows()];
  }

  @Benchmark
  public float[] matvec() {
    Kernels.matmul(weight, x, weight.cols(), 1, out, weight.rows(), 0, weight.rows());
    return out;
  }
}
