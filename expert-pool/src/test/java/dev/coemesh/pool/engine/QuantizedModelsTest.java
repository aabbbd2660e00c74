package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.pool.model.LayerWeights;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.model.ModelWeights;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.model.Weight;
import dev.coemesh.pool.synthetic.QuantMix;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Models in llama.cpp's quantization mixes run through the engine: a sequence's logits are
 * bit-identical whether it runs alone or batched with others (every block type of the mix), and the
 * stories15M shape written as Q4_K_M and as Q8_0 generates, with logits equal to those of the same
 * weights dequantized to F32 within float rounding.
 */
class QuantizedModelsTest {
  /** Rows of 256 and 512 values: every matrix of a K mix in a K-quant. */
  private static final ModelConfig SUPER_BLOCKS =
      new ModelConfig(256, 512, 2, 4, 2, 300, 64, 10000f, 64, 1e-5f);

  /** Rows of 96 values: the K mixes fall back to Q5_0, Q5_1 and Q8_0. */
  private static final ModelConfig FALLBACK =
      new ModelConfig(96, 256, 2, 4, 2, 300, 64, 10000f, 24, 1e-5f);

  @TempDir Path dir;

  private static LlamaEngine engine(Model model, int threads) {
    return new LlamaEngine(model, EngineOptions.defaults().withThreads(threads).withKvBlocks(64));
  }

  private static Set<TensorType> types(Model m) {
    Set<TensorType> types = EnumSet.noneOf(TensorType.class);
    types.add(m.weights().output().type());
    for (LayerWeights l : m.weights().layers()) {
      for (Weight w : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
        types.add(w.type());
      }
    }
    return types;
  }

  /** Each step's logits of {@code prompt} then {@code steps} greedy tokens, run alone. */
  private static float[][] alone(Model model, int[] prompt, int steps) {
    return run(model, prompt, null, steps);
  }

  /**
   * Each step's logits of {@code prompt} then {@code steps} tokens: {@code tokens} where given (so
   * two models can be compared on the same text), else greedy ones.
   */
  private static float[][] run(Model model, int[] prompt, int[] tokens, int steps) {
    try (LlamaEngine engine = engine(model, 2)) {
      int s = engine.newSequence();
      float[][] logits = new float[steps + 1][];
      logits[0] = engine.step(new int[] {s}, new int[][] {prompt})[0];
      for (int i = 1; i <= steps; i++) {
        int next =
            tokens != null ? tokens[i - 1] : dev.coemesh.pool.sampler.Sampler.argmax(logits[i - 1]);
        logits[i] = engine.step(new int[] {s}, new int[][] {{next}})[0];
      }
      return logits;
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_1", "Q5_1"})
  void aSequencesLogitsDoNotDependOnItsBatch(QuantMix mix) throws IOException {
    for (ModelConfig shape : List.of(SUPER_BLOCKS, FALLBACK)) {
      Path file = dir.resolve(mix + "-" + shape.dim() + ".gguf");
      new SyntheticModel(shape, 9).writeGguf(file, mix);
      Model model = ModelLoader.load(file, null);
      int[][] prompts = {{1, 20, 30, 40, 50, 60}, {1, 7}, {1, 250, 251, 252}};
      int steps = 6;
      try (LlamaEngine engine = engine(model, 2)) {
        int[] ids = new int[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
          ids[i] = engine.newSequence();
        }
        float[][] logits = engine.step(ids, prompts);
        float[][][] batched = new float[prompts.length][steps + 1][];
        for (int s = 0; s <= steps; s++) {
          int[][] next = new int[prompts.length][];
          for (int i = 0; i < prompts.length; i++) {
            batched[i][s] = logits[i];
            next[i] = new int[] {dev.coemesh.pool.sampler.Sampler.argmax(logits[i])};
          }
          if (s < steps) {
            logits = engine.step(ids, next);
          }
        }
        for (int i = 0; i < prompts.length; i++) {
          float[][] expected = alone(model, prompts[i], steps);
          for (int s = 0; s <= steps; s++) {
            assertArrayEquals(
                expected[s], batched[i][s], mix + " " + types(model) + " seq " + i + " step " + s);
          }
        }
      }
    }
  }

  /** The same model with every matrix dequantized to F32 (norms are F32 already). */
  private static Model dequantized(Model m) {
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : m.weights().layers()) {
      layers.add(
          new LayerWeights(
              l.attentionNorm(),
              f32(l.wq()),
              f32(l.wk()),
              f32(l.wv()),
              f32(l.wo()),
              l.ffnNorm(),
              f32(l.w1()),
              f32(l.w2()),
              f32(l.w3())));
    }
    Weight embedding = f32(m.weights().tokenEmbedding());
    Weight output =
        m.weights().output() == m.weights().tokenEmbedding()
            ? embedding
            : f32(m.weights().output());
    return new Model(
        m.name() + "-f32",
        m.config(),
        new ModelWeights(embedding, layers, m.weights().finalNorm(), output),
        m.tokenizer(),
        m.fingerprint());
  }

  private static Weight f32(Weight w) {
    float[] values = new float[w.rows() * w.cols()];
    for (int r = 0; r < w.rows(); r++) {
      w.readRow(r, values, r * w.cols());
    }
    MemorySegment data = MemorySegment.ofArray(new byte[values.length * 4]);
    MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
    return new Weight(w.name(), TensorType.F32, w.rows(), w.cols(), data);
  }

  /**
   * The stories15M shape as llama.cpp lays out Q4_K_M (Q4_K/Q6_K ffn_down, Q5_0/Q8_0 elsewhere) and
   * Q8_0: it generates, and its logits equal those of its weights dequantized to F32 within 1e-3 of
   * the logits' scale (only the order of float additions differs), at every step.
   */
  @Test
  void stories15MShapeInQ4KMAndQ8_0GeneratesAndMatchesItsDequantizedWeights() throws IOException {
    SyntheticModel synthetic = new SyntheticModel(SyntheticModel.STORIES_15M, 1);
    for (QuantMix mix : List.of(QuantMix.Q4_K_M, QuantMix.Q8_0)) {
      Path file = dir.resolve("15m-" + mix + ".gguf");
      synthetic.writeGguf(file, mix);
      Model model = ModelLoader.load(file, null);
      if (mix == QuantMix.Q4_K_M) {
        assertEquals(
            EnumSet.of(TensorType.Q8_0, TensorType.Q5_0, TensorType.Q4_K, TensorType.Q6_K),
            types(model));
      }
      int[] prompt = model.tokenizer().encode("Once upon a time", true);
      int steps = 8;
      float[][] quantized = alone(model, prompt, steps);
      int[] generated = new int[steps];
      for (int s = 0; s < steps; s++) {
        generated[s] = dev.coemesh.pool.sampler.Sampler.argmax(quantized[s]);
        assertTrue(generated[s] >= 0 && generated[s] < model.config().vocabSize());
      }
      assertTrue(!model.tokenizer().decode(generated).isEmpty(), mix + " generates text");
      float[][] reference = run(dequantized(model), prompt, generated, steps);
      for (int s = 0; s <= steps; s++) {
        double maxError = 0;
        double maxAbs = 0;
        for (int i = 0; i < reference[s].length; i++) {
          maxError = Math.max(maxError, Math.abs(reference[s][i] - quantized[s][i]));
          maxAbs = Math.max(maxAbs, Math.abs(reference[s][i]));
        }
        assertTrue(
            maxError <= 1e-3 * Math.max(1, maxAbs),
            mix + " step " + s + " error " + maxError + " vs scale " + maxAbs);
      }
    }
  }
}
