package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.pool.Stories;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.model.Model;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine reproduces the reference outputs of the trained stories260K model in both formats. */
class GoldenOutputTest {

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.of(Named.of("llama2.c .bin", (Supplier<Model>) Stories::bin)),
        Arguments.of(Named.of("GGUF", (Supplier<Model>) Stories::gguf)));
  }

  @ParameterizedTest
  @MethodSource("formats")
  void greedyDecodingFromBosMatchesTheReferenceTokenForToken(Supplier<Model> format) {
    assertGreedyReference(format.get(), EngineOptions.DEFAULT_KV_PRECISION);
  }

  /**
   * The default half-precision K and V move the logits by up to ~0.025 against float32 ones here,
   * not enough to change a pick: both give the reference.
   */
  @ParameterizedTest
  @MethodSource("formats")
  void aFloat32KvCacheKeepsTheReferenceGreedyOutputToo(Supplier<Model> format) {
    assertGreedyReference(format.get(), KvPrecision.F32);
  }

  private static void assertGreedyReference(Model model, KvPrecision precision) {
    try (LlamaEngine engine =
        new LlamaEngine(
            model, EngineOptions.defaults().withKvBlocks(64).withKvPrecision(precision))) {
      int seq = engine.newSequence();
      int token = model.tokenizer().bosId();
      int[] generated = new int[30];
      for (int i = 0; i < 30; i++) {
        float[] logits = engine.step(new int[] {seq}, new int[][] {{token}})[0];
        token = Stories.argmax(logits);
        generated[i] = token;
      }
      assertArrayEquals(Stories.GREEDY_30, generated);
      int[] withBos = new int[31];
      withBos[0] = model.tokenizer().bosId();
      System.arraycopy(generated, 0, withBos, 1, 30);
      assertEquals(Stories.GREEDY_30_TEXT, model.tokenizer().decode(withBos));
    }
  }

  @ParameterizedTest
  @MethodSource("formats")
  void encodeAndFirstLogitsMatchTheReference(Supplier<Model> format) {
    Model model = format.get();
    assertArrayEquals(
        new int[] {1, 403, 407, 261, 378}, model.tokenizer().encode("Once upon a time", true));
    try (LlamaEngine engine = new LlamaEngine(model, EngineOptions.defaults().withKvBlocks(8))) {
      int seq = engine.newSequence();
      float[] logits = engine.step(new int[] {seq}, new int[][] {{1}})[0];
      assertEquals(17.0235f, logits[403], 1e-3);
      assertEquals(15.4062f, logits[385], 1e-3);
      assertEquals(13.1083f, logits[410], 1e-3);
      assertEquals(12.7692f, logits[317], 1e-3);
      assertEquals(12.4181f, logits[407], 1e-3);
      assertEquals(-6.2229f, logits[0], 1e-3);
      assertEquals(8.4043f, logits[1], 1e-3);
      float[] next = engine.step(new int[] {seq}, new int[][] {{403}})[0];
      assertEquals(407, Stories.argmax(next));
      assertEquals(18.4600f, next[407], 1e-3);
    }
  }
}
