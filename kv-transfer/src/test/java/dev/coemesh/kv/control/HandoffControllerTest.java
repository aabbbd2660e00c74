package dev.coemesh.kv.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.kv.codec.CodecLevel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HandoffControllerTest {
  private static final long VALUES = 100_000;
  private static final int TOKENS = 100;

  private final AtomicLong clock = new AtomicLong();

  /** 1 MB/s = 1000 bytes/ms; probe after 10 s without a measured write. */
  private HandoffController auto() {
    return new HandoffController(
        new HandoffPolicy(Optional.empty(), 1, Duration.ofSeconds(10)), clock::get);
  }

  private static String name(LevelController.Decision d) {
    return switch (d) {
      case LevelController.Decision.Encode e -> e.level().name();
      case LevelController.Decision.Text t -> "TEXT";
    };
  }

  /**
   * 100,000 values at the seeded 2.4 / 2.8 / 3.6 bits are 30,000 / 35,000 / 45,000 bytes: at 1000
   * bytes/ms, write + read take 60 / 70 / 90 ms for levels 1 / 2 / 3. The recompute time is the
   * measured prefill time of the same 100 tokens; the codec time is 2 × the measured encode time.
   */
  @ParameterizedTest(name = "recompute {0} ms, encode {1} ms -> {2}")
  @CsvSource({
    // recompute ms, encode ms (-1: none measured), decision
    "1000, -1, LEVEL_3",
    "90.01, -1, LEVEL_3",
    "89.99, -1, LEVEL_2",
    "70.01, -1, LEVEL_2",
    "69.99, -1, LEVEL_1",
    "60.01, -1, LEVEL_1",
    "59.99, -1, TEXT",
    "1, -1, TEXT",
    // encode 5 ms: encode + decode add 10 ms to every level
    "100.01, 5, LEVEL_3",
    "99.99, 5, LEVEL_2",
    "70.01, 5, LEVEL_1",
    "69.99, 5, TEXT",
  })
  void shipsAtTheBestLevelNoSlowerThanRecomputingElseText(
      double recomputeMs, double encodeMs, String expected) {
    HandoffController controller = auto();
    controller.observePrefill(TOKENS, recomputeMs);
    if (encodeMs >= 0) {
      // the seeded level-2 size, so only the codec time changes
      controller.observeEncode(CodecLevel.LEVEL_2, VALUES, 35_000, encodeMs);
    }
    assertEquals(expected, name(controller.decide(TOKENS, VALUES)));
  }

  @ParameterizedTest(name = "write of 30,000 bytes in {0} ms, recompute {1} ms -> {2}")
  @CsvSource({
    // the first write replaces the assumed 1000 bytes/ms; the second is averaged in (EWMA 0.25)
    "3, 30, LEVEL_3", // 10,000 then 7750 bytes/ms: level 3 round trip in 11.6 ms
    "30, 80, LEVEL_2", // 1000 bytes/ms: level 3 needs 90 ms, level 2 70
    "300, 70, TEXT", // 100 then 325 bytes/ms: even level 1 needs 185 ms
  })
  void measuredWritesMoveTheDecision(double writeMs, double recomputeMs, String expected) {
    HandoffController controller = auto();
    controller.observeTransfer(30_000, writeMs);
    controller.observeTransfer(30_000, 30);
    controller.observePrefill(TOKENS, recomputeMs);
    assertEquals(expected, name(controller.decide(TOKENS, VALUES)));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void aFixedLevelIsAlwaysShippedAndCounted(int id) {
    CodecLevel level = CodecLevel.of(id);
    HandoffController controller = new HandoffController(HandoffPolicy.fixed(level), clock::get);
    controller.observePrefill(TOKENS, 0.001); // recomputing would be far faster
    for (int i = 0; i < 3; i++) {
      assertEquals(level.name(), name(controller.decide(TOKENS, VALUES)));
    }
    assertEquals(3, controller.decisions(level));
    assertEquals(0, controller.textDecisions());
  }

  @Test
  void textIsCountedAndAStaleEstimateIsProbedAtLevelOneOncePerInterval() {
    HandoffController controller = auto();
    controller.observePrefill(TOKENS, 1);
    clock.set(Duration.ofSeconds(9).toNanos());
    assertEquals("TEXT", name(controller.decide(TOKENS, VALUES)));
    clock.set(Duration.ofSeconds(10).toNanos());
    assertEquals("LEVEL_1", name(controller.decide(TOKENS, VALUES)), "the probe");
    assertEquals("TEXT", name(controller.decide(TOKENS, VALUES)), "one probe per interval");
    clock.set(Duration.ofSeconds(15).toNanos());
    controller.observeTransfer(30_000, 300);
    clock.set(Duration.ofSeconds(24).toNanos());
    assertEquals("TEXT", name(controller.decide(TOKENS, VALUES)), "measured 9 s ago");
    assertEquals(3, controller.textDecisions());
    assertEquals(1, controller.decisions(CodecLevel.LEVEL_1));
  }

  @ParameterizedTest
  @CsvSource({"auto, -1", "AUTO, -1", "0, 0", "2, 2", " 3 , 3"})
  void levelSettingsParse(String text, int id) {
    assertEquals(
        id < 0 ? Optional.empty() : Optional.of(CodecLevel.of(id)), HandoffPolicy.parseLevel(text));
  }
}
