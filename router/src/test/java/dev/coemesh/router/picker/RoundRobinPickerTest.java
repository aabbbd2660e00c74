package dev.coemesh.router.picker;

import static dev.coemesh.router.Replicas.replica;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.replica.ReplicaView;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundRobinPickerTest {

  static List<String> picks(RoundRobinPicker picker, List<ReplicaView> candidates, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(picker.pick(candidates, new double[candidates.size()]).id().instance());
    }
    return out;
  }

  @Test
  void takesTheReplicasInTurnByNameWhateverTheScoresOrOrder() {
    RoundRobinPicker picker = new RoundRobinPicker();
    List<ReplicaView> shuffled =
        List.of(replica("c", 0, 0, 1), replica("a", 9, 0, 1), replica("b", 0, 0, 1));
    assertEquals("a", picker.pick(shuffled, new double[] {1, 0, 0}).id().instance());
    assertEquals(List.of("b", "c", "a", "b"), picks(picker, shuffled.reversed(), 4));
  }

  @Test
  void eachExpertAndRoleHasItsOwnTurn() {
    RoundRobinPicker picker = new RoundRobinPicker();
    List<ReplicaView> stories = List.of(replica("a", 0, 0, 1), replica("b", 0, 0, 1));
    ExpertId other = new ExpertId("coder");
    List<ReplicaView> coder =
        List.of(
            new ReplicaView(
                new ReplicaId(other, ReplicaRole.DECODE, "x"), 0, 0, 0, 1, Set.of(), false),
            new ReplicaView(
                new ReplicaId(other, ReplicaRole.DECODE, "y"), 0, 0, 0, 1, Set.of(), false));
    assertEquals(List.of("a"), picks(picker, stories, 1));
    assertEquals(List.of("x", "y", "x"), picks(picker, coder, 3));
    assertEquals(List.of("b", "a"), picks(picker, stories, 2));
  }

  @Test
  void aFilteredOutReplicaIsSkippedForThatRequestOnly() {
    RoundRobinPicker picker = new RoundRobinPicker();
    ReplicaView a = replica("a", 0, 0, 1);
    ReplicaView b = replica("b", 0, 0, 1);
    assertEquals(List.of("a", "b"), picks(picker, List.of(a, b), 2));
    assertEquals(List.of("a"), picks(picker, List.of(a), 1));
    assertEquals(List.of("b", "a"), picks(picker, List.of(a, b), 2));
  }
}
