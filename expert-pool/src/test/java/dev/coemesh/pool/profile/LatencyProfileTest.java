package dev.coemesh.pool.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyProfileTest {
  private static LatencyProfile sample() {
    PhaseProfile prefill =
        PhaseProfile.fitted(
            PhaseProfile.PREFILL_FORM,
            List.of(
                new PhaseProfile.Point(new int[] {16}, 1.0),
                new PhaseProfile.Point(new int[] {64}, 3.5),
                new PhaseProfile.Point(new int[] {16, 16}, 1.9),
                new PhaseProfile.Point(new int[] {256}, 16.0)));
    PhaseProfile decode =
        new PhaseProfile(PhaseProfile.DECODE_FORM, 0.1, 0.001, 0.05, List.of(), Double.NaN);
    return new LatencyProfile(
        "stories",
        "stories260K.bin",
        "ab12",
        new LatencyProfile.Machine(2, "25", 1),
        "2026-12-07T17:00:00Z",
        prefill,
        decode,
        "measured");
  }

  @Test
  void roundTripsThroughAFile(@TempDir Path dir) throws Exception {
    LatencyProfile p = sample();
    Path file = dir.resolve("sub/stories.json");
    p.write(file);
    LatencyProfile back = LatencyProfile.read(file);
    assertEquals(p.expert(), back.expert());
    assertEquals(p.modelSha256(), back.modelSha256());
    assertEquals(p.machine(), back.machine());
    assertEquals(p.prefill().aMs(), back.prefill().aMs());
    assertEquals(p.prefill().cMs(), back.prefill().cMs());
    assertEquals(p.prefill().r2(), back.prefill().r2());
    assertEquals(4, back.prefill().points().size());
    assertArrayEquals(new int[] {16, 16}, back.prefill().points().get(2).lens());
    assertEquals(1.9, back.prefill().points().get(2).ms());
    assertTrue(Double.isNaN(back.decode().r2()), "no points, no R2");
    assertEquals(p.toJson(), back.toJson());
  }

  @Test
  void rejectsAnotherVersion() throws Exception {
    String json = sample().toJson().replace("\"version\" : 1", "\"version\" : 2");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LatencyProfile.parse(json));
    assertTrue(e.getMessage().contains("unsupported profile version 2"), e.getMessage());
  }

  @Test
  void namesAMissingField() throws Exception {
    String json = sample().toJson().replace("\"b_ms\"", "\"b_msx\"");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LatencyProfile.parse(json));
    assertTrue(e.getMessage().contains("'b_ms' is missing"), e.getMessage());
    String noExpert = sample().toJson().replace("\"expert\"", "\"expurt\"");
    e = assertThrows(IllegalArgumentException.class, () -> LatencyProfile.parse(noExpert));
    assertTrue(e.getMessage().contains("'expert' is missing"), e.getMessage());
  }

  @Test
  void rejectsAnUncitedSource() throws Exception {
    String json = sample().toJson().replace("\"measured\"", "\"a blog\"");
    assertThrows(IllegalArgumentException.class, () -> LatencyProfile.parse(json));
  }

  @Test
  void publishedOpt13bProfileLoads() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/profiles/opt-13b-a100.json")) {
      LatencyProfile p = LatencyProfile.read(in, "opt-13b-a100.json");
      assertTrue(p.source().startsWith("published: DistServe artifact"), p.source());
      assertEquals(18.10, p.prefill().aMs());
      assertEquals(7.12e-6, p.prefill().cMs());
      assertEquals(19.93, p.decode().aMs());
      // a 512-token prompt: 18.10 + 0.1019*512 + 7.12e-6*512^2 = 72.1 ms on one A100
      assertEquals(72.14, p.prefill().predictMs(512), 0.01);
      // a decode step of 32 sequences at 1024 context: 19.93 + 6.27e-4*32768 + 0.0385*32
      assertEquals(41.7, p.decode().predictMs(fill(32, 1024)), 0.05);
    }
  }

  private static int[] fill(int n, int v) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, v);
    return a;
  }
}
