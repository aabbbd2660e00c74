package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.Stories;
import dev.coemesh.pool.kv.BlockPool;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.kv.SequenceKv;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The attention kernels against a plain double-precision softmax(q·K)·V over the values the pool
 * actually holds, for vector-width and narrower heads, blocks that are and are not whole vectors of
 * positions, grouped-query heads, both KV precisions and lengths that end mid-block; and a model
 * with vector-width heads (the 15M shape's kind; stories260K's are narrower) keeping prefill equal
 * to single steps and a batch equal to its sequences alone, bit for bit.
 */
class AttentionTest {

  @ParameterizedTest(name = "hs={0} kvHeads={1} group={2} bs={3} {4}")
  @CsvSource({
    "48, 2, 3, 16, F16",
    "48, 2, 3, 16, F32",
    "16, 3, 1, 16, F16",
    "8, 2, 2, 16, F16",
    "8, 2, 2, 16, F32",
    "32, 1, 2, 5, F16",
    "32, 1, 2, 5, F32",
    "16, 2, 1, 32, F16"
  })
  void matchesAPlainSoftmaxOverThePoolsValues(
      int hs, int kvHeads, int group, int bs, KvPrecision precision) {
    int kvDim = hs * kvHeads;
    int heads = kvHeads * group;
    BlockPool pool = new BlockPool(2, kvDim, hs, bs, 64, precision);
    Attention attention = new Attention(pool, group);
    SplittableRandom random = new SplittableRandom(hs * 31L + bs);
    for (int count : new int[] {1, bs - 1, bs, bs + 3, 3 * bs + 7}) {
      if (count < 1) {
        continue;
      }
      SequenceKv seq = new SequenceKv(pool);
      assertTrue(seq.reserve(count));
      float[] k = new float[kvDim];
      float[] v = new float[kvDim];
      for (int p = 0; p < count; p++) {
        for (int layer = 0; layer < 2; layer++) {
          fill(random, k);
          fill(random, v);
          pool.write(layer, seq.offset(p), k, 0, v, 0);
        }
      }
      float[] q = new float[heads * hs];
      fill(random, q);
      float[] scores = new float[count + bs];
      float[] out = new float[heads * hs];
      for (int h = 0; h < heads; h++) {
        attention.head(1, h, q, h * hs, seq, count, scores, out, h * hs);
        double[] expected = reference(pool, seq, 1, h / group, q, h * hs, count);
        for (int d = 0; d < hs; d++) {
          assertEquals(
              expected[d], out[h * hs + d], 1e-5, "count " + count + " head " + h + " d " + d);
        }
      }
      seq.release();
    }
    assertEquals(64, pool.availableBlocks());
  }

  private static void fill(SplittableRandom random, float[] values) {
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
  }

  private static double[] reference(
      BlockPool pool, SequenceKv seq, int layer, int kvHead, float[] q, int qOff, int count) {
    int hs = pool.headSize();
    int kvDim = pool.kvDim();
    float[] k = new float[kvDim];
    float[] v = new float[kvDim];
    double[] scores = new double[count];
    double[][] values = new double[count][hs];
    double max = Double.NEGATIVE_INFINITY;
    for (int p = 0; p < count; p++) {
      pool.read(layer, seq.offset(p), k, 0, v, 0);
      double s = 0;
      for (int d = 0; d < hs; d++) {
        s += (double) q[qOff + d] * k[kvHead * hs + d];
        values[p][d] = v[kvHead * hs + d];
      }
      scores[p] = s / Math.sqrt(hs);
      max = Math.max(max, scores[p]);
    }
    double sum = 0;
    for (int p = 0; p < count; p++) {
      scores[p] = Math.exp(scores[p] - max);
      sum += scores[p];
    }
    double[] out = new double[hs];
    for (int p = 0; p < count; p++) {
      for (int d = 0; d < hs; d++) {
        out[d] += scores[p] / sum * values[p][d];
      }
    }
    return out;
  }

  @Test
  void vectorWidthHeadsKeepPrefillAndBatchesExact(@TempDir Path dir) throws Exception {
    // heads of 16 and 32 channels cover the vector paths on 512- and 256-bit machines; grouped KV
    ModelConfig shape = new ModelConfig(128, 256, 2, 4, 2, 512, 96, 10000f, 32, 1e-5f);
    SyntheticModel synthetic = new SyntheticModel(shape, 7);
    synthetic.writeLlama2c(dir.resolve("m.bin"), dir.resolve("t.bin"));
    Model model = ModelLoader.load(dir.resolve("m.bin"), dir.resolve("t.bin"));
    int[] prompt = new int[37];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 3 + (i * 53) % 500;
    }
    for (KvPrecision precision : KvPrecision.values()) {
      try (LlamaEngine engine =
          new LlamaEngine(
              model,
              EngineOptions.defaults()
                  .withThreads(2)
                  .withKvBlocks(32)
                  .withKvPrecision(precision))) {
        int prefilled = engine.newSequence();
        float[] afterPrefill = engine.step(new int[] {prefilled}, new int[][] {prompt})[0].clone();
        int single = engine.newSequence();
        float[] last = null;
        for (int token : prompt) {
          last = engine.step(new int[] {single}, new int[][] {{token}})[0];
        }
        assertArrayEquals(last, afterPrefill, 0f, precision.name());
        // the two sequences and a third, shorter one decode together as they did alone
        int third = engine.newSequence();
        float[] alone = engine.step(new int[] {third}, new int[][] {{1, 9, 4}})[0];
        int[] ids = {prefilled, single, third};
        int[][] next = {
          {Stories.argmax(afterPrefill)}, {Stories.argmax(last)}, {Stories.argmax(alone)}
        };
        float[][] batched = engine.step(ids, next);
        assertArrayEquals(batched[0], batched[1], 0f, precision.name());
        try (LlamaEngine fresh =
            new LlamaEngine(
                model, EngineOptions.defaults().withKvBlocks(8).withKvPrecision(precision))) {
          int s = fresh.newSequence();
          fresh.step(new int[] {s}, new int[][] {{1, 9, 4}});
          float[] expected = fresh.step(new int[] {s}, new int[][] {next[2]})[0];
          assertArrayEquals(expected, batched[2], 0f, precision.name());
        }
      }
    }
  }
}
