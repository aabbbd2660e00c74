package dev.coemesh.router.picker;

import static dev.coemesh.router.Replicas.replica;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.router.replica.ReplicaView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaxScorePickerTest {

  @Test
  void picksTheMaximumAndSpreadsTiesEvenly() {
    List<ReplicaView> all =
        List.of(replica("a", 0, 0, 1), replica("b", 0, 0, 1), replica("c", 0, 0, 1));
    MaxScorePicker picker = new MaxScorePicker(new SplittableRandom(1));
    assertEquals("b", picker.pick(all, new double[] {0.2, 0.9, 0.5}).id().instance());
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(picker.pick(all, new double[] {0.7, 0.7, 0.1}).id().instance(), 1, Integer::sum);
    }
    assertEquals(null, counts.get("c"));
    assertTrue(
        Math.abs(counts.get("a") - 1500) < 150 && Math.abs(counts.get("b") - 1500) < 150,
        counts.toString());
  }
}
