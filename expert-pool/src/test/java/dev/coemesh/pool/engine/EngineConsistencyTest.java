package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.model.Model;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prefill, decode, batching, KV export/import and prefix reuse all compute the same model, with a
 * float32 KV cache ({@link HalfKvEngineConsistencyTest} runs the same checks with the default,
 * 16-bit one).
 */
class EngineConsistencyTest {
  private static Model model;
  private static int[] prompt;

  @BeforeAll
  static void load() {
    model = Stories.bin();
    prompt =
        model
            .tokenizer()
            .encode("Lily and Ben went to the park. They saw a big dog and a small cat", true);
  }

  KvPrecision precision() {
    return KvPrecision.F32;
  }

  LlamaEngine engine(int blocks) {
    return new LlamaEngine(
        model,
        EngineOptions.defaults().withThreads(2).withKvBlocks(blocks).withKvPrecision(precision()));
  }

  @Test
  void prefillThenDecodeEqualsFeedingTokensOneByOne() {
    try (LlamaEngine engine = engine(64)) {
      int batched = engine.newSequence();
      float[] afterPrefill = engine.step(new int[] {batched}, new int[][] {prompt})[0];
      int single = engine.newSequence();
      float[] last = null;
      for (int token : prompt) {
        last = engine.step(new int[] {single}, new int[][] {{token}})[0];
      }
      // bit-identical, not just within 1e-5: every kernel sums a token's outputs in the same order
      // whatever the batch, so K and V (and their 16-bit roundings) do not depend on it either
      assertArrayEquals(last, afterPrefill, 0f);
      int next = Stories.argmax(afterPrefill);
      float[] a = engine.step(new int[] {batched}, new int[][] {{next}})[0];
      float[] b = engine.step(new int[] {single}, new int[][] {{next}})[0];
      assertArrayEquals(b, a, 0f);
    }
  }

  @Test
  void logitsOfAStepSurviveTheNextStep() {
    // the transformer reuses one logits buffer across steps; the engine must hand out copies
    try (LlamaEngine engine = engine(64)) {
      int first = engine.newSequence();
      int second = engine.newSequence();
      float[][] a = engine.step(new int[] {first, second}, new int[][] {prompt, {1, 7}});
      float[][] kept = {a[0].clone(), a[1].clone()};
      engine.step(new int[] {first, second}, new int[][] {{Stories.argmax(a[0])}, {9}});
      assertArrayEquals(kept[0], a[0], 0f);
      assertArrayEquals(kept[1], a[1], 0f);
    }
  }

  @Test
  void reusedRowsHoldTheSameLogitsAndSurviveTheNextStep() {
    try (LlamaEngine copying = engine(64);
        LlamaEngine reusing = engine(64)) {
      int a = copying.newSequence();
      int b = reusing.newSequence();
      float[] expected = copying.step(new int[] {a}, new int[][] {prompt})[0];
      float[] first = reusing.stepReused(new int[] {b}, new int[][] {prompt})[0];
      assertArrayEquals(expected, first, 0f);
      float[] kept = first.clone();
      int next = Stories.argmax(first);
      float[] expectedNext = copying.step(new int[] {a}, new int[][] {{next}})[0];
      float[] second = reusing.stepReused(new int[] {b}, new int[][] {{next}})[0];
      assertArrayEquals(expectedNext, second, 0f);
      assertArrayEquals(kept, first, 0f); // not overwritten by the next step
    }
  }

  /**
   * Greedy continuation of {@code tokens} for {@code n} steps, the sequence alone in the engine.
   */
  private int[] alone(int[] tokens, int n) {
    try (LlamaEngine engine = engine(64)) {
      int s = engine.newSequence();
      float[] logits = engine.step(new int[] {s}, new int[][] {tokens})[0];
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = Stories.argmax(logits);
        logits = engine.step(new int[] {s}, new int[][] {{out[i]}})[0];
      }
      return out;
    }
  }

  @Test
  void aBatchOfDifferentLengthsGivesEachTheTokensItGetsAlone() {
    int[][] prompts = {
      model.tokenizer().encode("Once upon a time", true),
      prompt,
      model.tokenizer().encode("The sun", true),
    };
    int steps = 20;
    try (LlamaEngine engine = engine(64)) {
      int[] ids = new int[prompts.length];
      int[][] next = new int[prompts.length][1];
      for (int i = 0; i < prompts.length; i++) {
        ids[i] = engine.newSequence();
      }
      float[][] logits = engine.step(ids, prompts); // one mixed prefill step of all three
      int[][] generated = new int[prompts.length][steps];
      for (int s = 0; s < steps; s++) {
        for (int i = 0; i < prompts.length; i++) {
          generated[i][s] = Stories.argmax(logits[i]);
          next[i][0] = generated[i][s];
        }
        logits = engine.step(ids, next);
      }
      for (int i = 0; i < prompts.length; i++) {
        assertArrayEquals(alone(prompts[i], steps), generated[i], "sequence " + i);
      }
    }
  }

  @Test
  void exportedKvImportedIntoAFreshSequenceContinuesExactly() {
    int steps = 16;
    int[] expected = alone(prompt, steps);
    KvTensor kv;
    int first;
    try (LlamaEngine source = engine(64)) {
      int s = source.newSequence();
      first = Stories.argmax(source.step(new int[] {s}, new int[][] {prompt})[0]);
      kv = source.exportKv(s);
      source.free(s);
      assertEquals(64, source.availableBlocks());
    }
    assertEquals(prompt.length, kv.tokens());
    try (LlamaEngine target = engine(64)) {
      int s = target.newSequence();
      target.importKv(s, kv, prompt);
      int[] out = new int[steps];
      out[0] = first;
      for (int i = 1; i < steps; i++) {
        out[i] = Stories.argmax(target.step(new int[] {s}, new int[][] {{out[i - 1]}})[0]);
      }
      assertArrayEquals(expected, out);
    }
  }

  @Test
  void aCachedPrefixIsReusedAndGivesTheSameOutput() {
    int[] longPrompt =
        model
            .tokenizer()
            .encode(
                "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends",
                true);
    int steps = 12;
    int[] expected = alone(longPrompt, steps);
    try (LlamaEngine engine = engine(64)) {
      int first = engine.newSequence();
      engine.step(new int[] {first}, new int[][] {longPrompt});
      engine.free(first); // its full blocks stay in the prefix cache
      int cachedBlocks = engine.cachedBlocks();
      assertEquals(longPrompt.length / 16, cachedBlocks);

      int second = engine.newSequence();
      int reused = engine.reusePrefix(second, longPrompt);
      assertEquals(
          cachedBlocks * 16 == longPrompt.length ? longPrompt.length - 16 : cachedBlocks * 16,
          reused);
      long computedBefore = engine.computedTokens();
      float[] logits =
          engine
              .step(
                  new int[] {second},
                  new int[][] {
                    java.util.Arrays.copyOfRange(longPrompt, reused, longPrompt.length)
                  })[0];
      assertEquals(longPrompt.length - reused, engine.computedTokens() - computedBefore);
      int[] out = new int[steps];
      for (int i = 0; i < steps; i++) {
        out[i] = Stories.argmax(logits);
        logits = engine.step(new int[] {second}, new int[][] {{out[i]}})[0];
      }
      assertArrayEquals(expected, out);
      assertEquals(reused, engine.reusedTokens());
    }
  }

  @Test
  void aStepThatDoesNotFitChangesNothing() {
    try (LlamaEngine engine = engine(2)) {
      int s = engine.newSequence();
      int[] tooLong = new int[40]; // needs 3 blocks of 16
      java.util.Arrays.fill(tooLong, 5);
      MeshException e =
          assertThrows(
              MeshException.class, () -> engine.step(new int[] {s}, new int[][] {tooLong}));
      assertEquals(ErrorCode.CAPACITY_EXHAUSTED, e.code());
      assertEquals(0, engine.length(s));
      assertEquals(2, engine.availableBlocks());
      engine.free(s);
    }
  }

  @Test
  void badTokensAndUnknownSequencesAreRejected() {
    try (LlamaEngine engine = engine(4)) {
      int s = engine.newSequence();
      assertEquals(
          ErrorCode.INVALID_REQUEST,
          assertThrows(MeshException.class, () -> engine.step(new int[] {s}, new int[][] {{512}}))
              .code());
      assertEquals(
          ErrorCode.INVALID_REQUEST,
          assertThrows(MeshException.class, () -> engine.step(new int[] {99}, new int[][] {{1}}))
              .code());
      assertEquals(4, engine.availableBlocks());
    }
  }
}
