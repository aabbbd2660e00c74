package dev.coemesh.gateway.fair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.ExpertBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackendCapacityTest {
  static final ExpertId EXPERT = new ExpertId("e1");

  @ParameterizedTest(name = "free {0}/{1} blocks, running {2} of {3} -> {4}")
  @CsvSource({
    "100, 128, 3, 8, 8", // KV to spare: every batch slot
    "1, 128, 7, 8, 8",
    "0, 128, 5, 8, 5", // KV full: nothing beyond what runs
    "0, 128, 9, 8, 8",
    "0, 0, 2, 16, 16", // no KV pool reported (an upstream): batch slots alone
  })
  void limitFollowsTheServingSidesSnapshot(int free, int total, int running, int max, int limit) {
    var capacity =
        new BackendCapacity(e -> new ExpertBackend.Capacity(free, total, running, 0, max));
    assertEquals(limit, capacity.limit(EXPERT));
  }

  @Test
  void anExpertNotServedHereIsModelNotFound() {
    var capacity = new BackendCapacity(e -> null);
    MeshException e = assertThrows(MeshException.class, () -> capacity.limit(EXPERT));
    assertEquals(ErrorCode.MODEL_NOT_FOUND, e.code());
    var scheduler = new VtcScheduler(VtcOptions.defaults(), capacity);
    MeshException refused =
        assertThrows(
            MeshException.class, () -> scheduler.submit(VtcSchedulerTest.A, EXPERT, 1, t -> {}));
    assertEquals(ErrorCode.MODEL_NOT_FOUND, refused.code());
    assertEquals(0, scheduler.open());
  }
}
