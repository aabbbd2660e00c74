package dev.coemesh.pool.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseFramesTest {
  @Test
  void framesAreOpenAisDataLines() {
    assertEquals("data: {\"a\":1}\n\n", SseFrames.data("{\"a\":1}"));
    assertEquals("data: [DONE]\n\n", SseFrames.DONE);
  }

  @Test
  void framesAreUtf8() {
    assertArrayEquals(
        "data: \"é\"\n\n".getBytes(StandardCharsets.UTF_8),
        SseFrames.bytes(SseFrames.data("\"é\"")));
  }

  @Test
  void aLineBreakWouldSplitTheEventAndIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> SseFrames.data("{\n}"));
  }
}
