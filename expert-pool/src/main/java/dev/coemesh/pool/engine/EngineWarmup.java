package dev.coemesh.pool.engine;

import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.model.Kernels;
import dev.coemesh.pool.model.LayerWeights;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelWeights;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.model.Weight;
import dev.coemesh.pool.tokenizer.SentencePieceTokenizer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the forward pass on a tiny F32 model of the real model's layout (head size, grouping, rope
 * style) before the first request, so that the kernels the first tokens need are compiled by then.
 *
 * <p>Why: the Vector API is only fast once C2 has compiled a kernel; interpreted or C1-compiled,
 * every vector operation allocates. Left to the first request, a fresh process interprets the first
 * forward passes at full size (about a second per token for the stories15M shape) and keeps
 * compiling the attention, norm and FFN glue through its first few hundred tokens. Here the same
 * code runs on matrices of a few panels, which costs milliseconds per pass interpreted; the
 * launcher lowers the engine's compile thresholds ({@code -XX:CompileCommand} in {@code mesh}) so
 * that a few passes suffice. The tiny model's outputs are thrown away: the real model's state is
 * never touched, so its outputs stay bit-identical.
 */
public final class EngineWarmup {
  /** Forward passes per round: one 12-token prefill (tiles of 8 and 4), then single tokens. */
  private static final int DECODE_STEPS = 20;

  /** Rounds the launcher asks for ({@code -Dmesh.engine.warmup=N}); 0, the default: none. */
  private static final int ROUNDS = Integer.getInteger("mesh.engine.warmup", 0);

  private static final AtomicBoolean DONE = new AtomicBoolean();

  private EngineWarmup() {}

  /**
   * Warms up once per process (compiled code is the process's), on the first engine's layout, when
   * the launcher asked for it. The tiny model's own engine comes here too and finds it done.
   */
  static void oncePerProcess(ModelConfig like, KvPrecision kv) {
    if (ROUNDS > 0 && DONE.compareAndSet(false, true)) {
      run(like, kv, ROUNDS);
    }
  }

  /**
   * Runs {@code rounds} rounds of prefill and decode on a tiny model shaped like {@code like};
   * returns the milliseconds it took.
   */
  public static double run(ModelConfig like, KvPrecision kv, int rounds) {
    long start = System.nanoTime();
    Model tiny = tinyModel(like);
    int context = tiny.config().contextLength();
    try (LlamaEngine engine =
        new LlamaEngine(
            tiny,
            EngineOptions.defaults()
                .withThreads(1)
                .withKvBlocks(context / 16 + 2)
                .withKvPrecision(kv))) {
      int[] prompt = new int[12];
      for (int i = 0; i < prompt.length; i++) {
        prompt[i] = 3 + i;
      }
      for (int r = 0; r < rounds; r++) {
        int seq = engine.newSequence(0);
        float[][] logits = engine.stepReused(new int[] {seq}, new int[][] {prompt});
        for (int s = 0; s < DECODE_STEPS; s++) {
          int next = argmax(logits[0]);
          logits = engine.stepReused(new int[] {seq}, new int[][] {{next}});
        }
        engine.free(seq);
      }
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * The grouping of query heads per key head of {@code like}, one layer, 64 tokens of vocabulary
   * and context; the head size and rope layout of {@code like}, so that attention runs the same
   * loops.
   */
  static Model tinyModel(ModelConfig like) {
    int headSize = like.headSize();
    int group = like.heads() / like.kvHeads();
    // at least four panels of rows, so that the blocked loops of the F32 kernels run too
    int kvHeads = Math.max(2, (4 * Kernels.PANEL + group * headSize - 1) / (group * headSize));
    int heads = kvHeads * group;
    int dim = heads * headSize;
    int kvDim = kvHeads * headSize;
    int hidden = 2 * dim;
    int vocab = 64;
    int context = 64;
    ModelConfig c =
        new ModelConfig(
            dim,
            hidden,
            1,
            heads,
            kvHeads,
            vocab,
            context,
            like.ropeTheta(),
            like.ropeDim(),
            like.rmsEps(),
            like.ropeStyle());
    SplittableRandom random = new SplittableRandom(1);
    float[] ones = new float[dim];
    Arrays.fill(ones, 1f);
    LayerWeights layer =
        new LayerWeights(
            ones,
            matrix("wq", dim, dim, random),
            matrix("wk", kvDim, dim, random),
            matrix("wv", kvDim, dim, random),
            matrix("wo", dim, dim, random),
            ones,
            matrix("w1", hidden, dim, random),
            matrix("w2", dim, hidden, random),
            matrix("w3", hidden, dim, random));
    Weight embedding = matrix("embedding", vocab, dim, random);
    ModelWeights weights = new ModelWeights(embedding, List.of(layer), ones, embedding);
    String[] pieces = new String[vocab];
    for (int i = 0; i < vocab; i++) {
      pieces[i] = "<w" + i + ">";
    }
    return new Model(
        "warmup",
        c,
        weights,
        new SentencePieceTokenizer(pieces, new float[vocab], 1, 2, false),
        new ModelFingerprint(0));
  }

  private static Weight matrix(String name, int rows, int cols, SplittableRandom random) {
    MemorySegment data = MemorySegment.ofArray(new float[rows * cols]);
    float scale = (float) (1 / Math.sqrt(cols));
    for (long i = 0; i < (long) rows * cols; i++) {
      data.setAtIndex(
          java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
          i,
          (float) ((random.nextDouble() * 2 - 1) * scale));
    }
    return new Weight(name, TensorType.F32, rows, cols, data);
  }
}
