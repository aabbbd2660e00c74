package dev.coemesh.core.request;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SamplingParamsTest {

  @ParameterizedTest
  @CsvSource({
    "-0.1, 0, 1.0, 16",
    "NaN, 0, 1.0, 16",
    "1.0, -1, 1.0, 16",
    "1.0, 0, 0.0, 16",
    "1.0, 0, 1.5, 16",
    "1.0, 0, 1.0, 0",
  })
  void rejectsOutOfRangeValues(double temperature, int topK, double topP, int maxTokens) {
    assertThrows(
        IllegalArgumentException.class,
        () -> new SamplingParams(temperature, topK, topP, 0, maxTokens, List.of(), List.of(), -1));
  }

  @org.junit.jupiter.api.Test
  void rejectsEmptyStopStrings() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new SamplingParams(0, 0, 1, 0, 4, List.of(), List.of(""), -1));
  }
}
