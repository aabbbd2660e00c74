package dev.coemesh.planner.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.workload.Arrivals;
import dev.coemesh.planner.workload.Request;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Admission by free KV memory, on each kind of replica. */
class KvMemoryTest {
  private static final QuadraticLatencyModel OPT13B = QuadraticLatencyModel.opt13bTp1A100();
  private static final double TOLERANCE_MS = 1e-9;

  @Test
  void aColocatedPromptWaitsUntilTheResidentSequenceFreesItsKv() {
    // Each request reserves 1000 + 11 tokens; 1500 hold only one of them at a time.
    Engine small =
        new Engine(OPT13B, BatchLimits.distServe().withKvCapacity(1500), KvHandoff.free());
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,11", "0,1000,11"));
    List<RequestOutcome> outcomes =
        byId(new Simulator(small).run(new Placement.Colocated(1), trace));
    double prefill = OPT13B.prefillMs(new int[] {1000});
    double decode = 0;
    for (int generated = 1; generated < 11; generated++) {
      decode += OPT13B.decodeStepMs(1, 1000 + generated);
    }
    assertEquals(prefill, outcomes.get(0).ttftMs(), TOLERANCE_MS);
    assertEquals(prefill + decode, outcomes.get(0).finishMs(), TOLERANCE_MS);
    // the second prompt's TTFT counts the whole wait for memory
    assertEquals(prefill + decode + prefill, outcomes.get(1).ttftMs(), TOLERANCE_MS);
  }

  @Test
  void withRoomForBothTheSecondPromptRunsRightAfterTheFirstPrefill() {
    // The first arrival starts a prefill at once; the second, with memory to spare, goes next,
    // ahead of the first one's decode (prefill first), instead of waiting for it to finish.
    Engine roomy =
        new Engine(OPT13B, BatchLimits.distServe().withKvCapacity(2022), KvHandoff.free());
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,11", "0,1000,11"));
    List<RequestOutcome> outcomes =
        byId(new Simulator(roomy).run(new Placement.Colocated(1), trace));
    double prefill = OPT13B.prefillMs(new int[] {1000});
    assertEquals(prefill, outcomes.get(0).ttftMs(), TOLERANCE_MS);
    assertEquals(2 * prefill, outcomes.get(1).ttftMs(), TOLERANCE_MS);
  }

  @Test
  void aPrefillReplicaHoldsThePromptUntilItsTransferLands() {
    // Room for one 1000-token prompt; the transfer takes 50 ms (1000 x 1000 B / 20 000 B/ms).
    Engine engine =
        new Engine(
            OPT13B, BatchLimits.distServe().withKvCapacity(1005), new KvHandoff(1000, 20_000));
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,2", "0,1000,2"));
    // the decode replica needs 1002 tokens per sequence: two decode replicas, one each
    List<RequestOutcome> outcomes =
        byId(new Simulator(engine).run(new Placement.Disaggregated(1, 2), trace));
    double prefill = OPT13B.prefillMs(new int[] {1000});
    assertEquals(prefill, outcomes.get(0).ttftMs(), TOLERANCE_MS);
    assertEquals(prefill + 50 + prefill, outcomes.get(1).ttftMs(), TOLERANCE_MS);
  }

  @Test
  void aRequestLargerThanAReplicaIsRefusedByName() {
    Engine tiny = new Engine(OPT13B, BatchLimits.distServe().withKvCapacity(100), KvHandoff.free());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                new Simulator(tiny)
                    .run(new Placement.Colocated(1), Arrivals.parseTrace(List.of("0,90,20"))));
    assertEquals("request 0 needs 110 KV tokens, more than a replica holds", e.getMessage());
  }

  @Test
  void opt13bOnAnA100HoldsAboutSixtyOneThousandTokens() {
    assertEquals(61_401, BatchLimits.opt13bA100KvTokens());
  }

  private static List<RequestOutcome> byId(SimulationResult result) {
    return result.outcomes().stream()
        .sorted(Comparator.comparingInt(o -> o.request().id()))
        .toList();
  }
}
