package dev.coemesh.router.decide;

import static dev.coemesh.router.Replicas.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.expert.ServingMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UncachedPromptDeciderTest {

  @ParameterizedTest
  @CsvSource({
    "100, 0, COLOCATED", // 100 uncached < 256
    "256, 0, DISAGGREGATED",
    "300, 3, COLOCATED", // 300 - 48 = 252
    "400, 3, DISAGGREGATED", // 352
    "64, 10, COLOCATED", // all cached
  })
  void disaggregatesLongUncachedPrompts(int promptTokens, int cachedBlocks, ServingMode expected) {
    assertEquals(
        expected,
        new UncachedPromptDecider(256)
            .decide(request(new long[0], promptTokens, null), cachedBlocks));
  }
}
