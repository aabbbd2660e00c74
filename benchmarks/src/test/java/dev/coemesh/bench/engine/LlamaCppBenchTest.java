package dev.coemesh.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Reading llama-bench's JSON: {@code llama-bench-q4_k_m.json} is the output of llama.cpp c392e50's
 * {@code llama-bench -m q4_k_m.gguf -t 1 -p 8 -n 8 -r 1 -o json} on the 15M-shape Q4_K_M synthetic
 * file (2026-12-07), its model path shortened.
 */
class LlamaCppBenchTest {

  @Test
  void decodeAndPrefillComeFromTheGenerationAndPromptTests() throws IOException {
    String json;
    try (InputStream in = getClass().getResourceAsStream("/bench/llama-bench-q4_k_m.json")) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertArrayEquals(
        new double[] {383.165453, 1479.682845}, LlamaCppBench.parse(json, "q4_k_m"), 0);
  }

  @Test
  void anOutputWithoutBothTestsIsAnError() {
    assertThrows(IllegalStateException.class, () -> LlamaCppBench.parse("[]", "empty"));
    assertThrows(
        IllegalStateException.class,
        () ->
            LlamaCppBench.parse(
                "[{\"n_prompt\": 8, \"n_gen\": 0, \"avg_ts\": 1479.6}]", "prompt only"));
  }
}
