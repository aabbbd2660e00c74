package dev.coemesh.bench;

import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.Transformer;
import dev.coemesh.pool.engine.WorkerPool;
import dev.coemesh.pool.kv.BlockPool;
import dev.coemesh.pool.kv.SequenceKv;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode step of one token at position {@code context - 1}, so that every layer's attention
 * runs over {@code context} positions of paged KV. The engine's attention kernel is
 * package-private, so this measures the smallest public unit that holds it, {@link
 * Transformer#forward}: all layers' matmuls, RoPE, the KV write and attention, without the
 * classifier (no logit rows; its matvec is {@link MatVecBench}'s {@code output}). Attention's share
 * is the step at 64 or 256 positions less the step at 1.
 *
 * <p>The context is prefilled once in setup with the tokens of English-like text; each measured
 * step rewrites the same last position, so the KV and its length stay fixed. One worker thread (the
 * kernels on the calling thread), and the engine's default 16-bit KV in blocks of 16.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class DecodeStepBench {
  private static final int BLOCK_SIZE = 16;
  private static final int[] NO_LOGITS = {};

  @Param({"stories260K", "stories15M"})
  public String shape;

  @Param({"1", "64", "256"})
  public int context;

  private WorkerPool workers;
  private Transformer transformer;
  private int[] token;
  private int[] position;
  private SequenceKv[] sequence;

  @Setup
  public void setUp() {
    Model model = BenchModel.of(shape).load();
    ModelConfig c = model.config();
    if (context > c.contextLength()) {
      throw new IllegalArgumentException(shape + " holds " + c.contextLength() + " positions");
    }
    int blocks = (context + BLOCK_SIZE - 1) / BLOCK_SIZE;
    BlockPool pool =
        new BlockPool(
            c.layers(),
            c.kvDim(),
            c.headSize(),
            BLOCK_SIZE,
            blocks,
            EngineOptions.DEFAULT_KV_PRECISION);
    workers = new WorkerPool(1);
    transformer = new Transformer(model, pool, workers);
    SequenceKv seq = new SequenceKv(pool);
    if (!seq.reserve(context)) {
      throw new IllegalStateException("no KV blocks for " + context + " positions");
    }
    int[] prompt = promptTokens(model, context);
    int[] positions = new int[context];
    Arrays.setAll(positions, p -> p);
    SequenceKv[] seqs = new SequenceKv[context];
    Arrays.fill(seqs, seq);
    transformer.forward(context, prompt, positions, seqs, NO_LOGITS);
    seq.commit(prompt, 0, context - 1); // the last position is the one each step rewrites
    token = new int[] {prompt[context - 1]};
    position = new int[] {context - 1};
    sequence = new SequenceKv[] {seq};
  }

  /** The first {@code n} tokens of English-like text in the model's own tokenizer, BOS first. */
  static int[] promptTokens(Model model, int n) {
    int[] ids = new int[0];
    for (int words = n; ids.length < n; words *= 2) {
      ids = model.tokenizer().encode(EnglishLikeText.words(words, 42), true);
    }
    return Arrays.copyOf(ids, n);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    workers.close();
  }

  @Benchmark
  public float[] step() {
    return transformer.forward(1, token, position, sequence, NO_LOGITS);
  }
}
