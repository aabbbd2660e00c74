package dev.coemesh.kv.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LevelControllerTest {

  /** 1000 bytes/ms; 100k elements at 2.4 / 2.8 / 3.6 bits: 30 / 35 / 45 ms for levels 1 / 2 / 3. */
  @ParameterizedTest
  @CsvSource({
    // budget ms, chunks left, decision
    "100, 1, LEVEL_3",
    "40, 1, LEVEL_2",
    "32, 1, LEVEL_1",
    "25, 1, TEXT",
    "120, 3, LEVEL_2", // a third of the budget: 40 ms
  })
  void picksTheBestLevelThatFitsTheBudgetShare(double budget, int chunks, String expected) {
    LevelController controller = new LevelController(1000, 0.5);
    LevelController.Decision d = controller.choose(100_000, budget, chunks);
    String actual = d instanceof LevelController.Decision.Encode e ? e.level().name() : "TEXT";
    assertEquals(expected, actual);
  }

  @ParameterizedTest
  @CsvSource({"2000, 1.0, 2000", "2000, 0.5, 1500"})
  void bandwidthIsAnEwmaOfObservedThroughput(long bytes, double alpha, double expected) {
    LevelController controller = new LevelController(1000, alpha);
    controller.observeTransfer(bytes, 1.0);
    assertEquals(expected, controller.bandwidthBytesPerMs(), 1e-9);
    assertInstanceOf(LevelController.Decision.Text.class, controller.choose(10_000_000, 1, 1));
    assertEquals(1, controller.textDecisions());
  }

  @Test
  void resetReplacesTheEstimate() {
    LevelController controller = new LevelController(1000, 0.5);
    controller.resetBandwidth(10);
    assertEquals(10, controller.bandwidthBytesPerMs(), 1e-9);
  }
}
