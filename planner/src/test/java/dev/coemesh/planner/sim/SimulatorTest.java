package dev.coemesh.planner.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.planner.workload.Arrivals;
import dev.coemesh.planner.workload.LengthDistribution.Uniform;
import dev.coemesh.planner.workload.LengthMix;
import dev.coemesh.planner.workload.Request;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  private static final QuadraticLatencyModel OPT13B = QuadraticLatencyModel.opt13bTp1A100();
  private static final Engine ENGINE =
      new Engine(OPT13B, BatchLimits.distServe(), KvHandoff.free());
  private static final double TOLERANCE_MS = 1e-9;

  @Test
  void sameSeedGivesIdenticalOutcomesAndAnotherSeedDoesNot() {
    LengthMix mix = new LengthMix(new Uniform(32, 1024), new Uniform(16, 256));
    Simulator simulator = new Simulator(ENGINE);
    Placement placement = new Placement.Disaggregated(1, 1);
    SimulationResult first = simulator.run(placement, Arrivals.poisson(mix, 5, 500, 7));
    SimulationResult again = simulator.run(placement, Arrivals.poisson(mix, 5, 500, 7));
    SimulationResult other = simulator.run(placement, Arrivals.poisson(mix, 5, 500, 8));
    assertEquals(first.outcomes(), again.outcomes());
    assertNotEquals(first.outcomes(), other.outcomes());
  }

  @Test
  void ttftIncludesTheQueueWaitBehindAnEarlierPrompt() {
    Engine oneAtATime = new Engine(OPT13B, new BatchLimits(1, 8192, 65_536), KvHandoff.free());
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,1", "0,1000,1"));
    List<RequestOutcome> outcomes =
        byId(new Simulator(oneAtATime).run(new Placement.Colocated(1), trace));
    double prefill = OPT13B.prefillMs(new int[] {1000});
    assertEquals(prefill, outcomes.get(0).ttftMs(), TOLERANCE_MS);
    assertEquals(2 * prefill, outcomes.get(1).ttftMs(), TOLERANCE_MS);
  }

  @Test
  void aLoneRequestDecodesAtTheClosedFormStepLatency() {
    // 100 decode steps over contexts 101..200: sum 15050 tokens.
    List<Request> trace = Arrivals.parseTrace(List.of("0,100,101"));
    RequestOutcome alone =
        new Simulator(ENGINE).run(new Placement.Colocated(1), trace).outcomes().getFirst();
    assertEquals(OPT13B.prefillMs(new int[] {100}), alone.ttftMs(), TOLERANCE_MS);
    assertEquals(19.93 + 0.0385 + 6.27e-4 * 15050 / 100, alone.tpotMs(), TOLERANCE_MS);
  }

  @Test
  void colocatedPrefillsStallRunningDecodesAndDisaggregationRemovesThat() {
    // One long decode (request 0) while a 500-token prompt arrives every 200 ms.
    List<String> lines = new ArrayList<>(List.of("0,100,101"));
    for (int i = 1; i <= 20; i++) {
      lines.add((i * 200 - 100) + ",500,1");
    }
    List<Request> trace = Arrivals.parseTrace(lines);
    double baseline = 19.93 + 0.0385 + 6.27e-4 * 15050 / 100;

    List<RequestOutcome> colocated =
        byId(new Simulator(ENGINE).run(new Placement.Colocated(1), trace));
    RequestOutcome decode = colocated.getFirst();
    double first = decode.request().arrivalMs() + decode.ttftMs();
    long interleaved =
        colocated.stream()
            .skip(1)
            .filter(o -> o.finishMs() > first && o.finishMs() <= decode.finishMs())
            .count();
    assertTrue(interleaved > 5, "prefills during the decode: " + interleaved);
    double stall = interleaved * OPT13B.prefillMs(new int[] {500}) / 100;
    assertEquals(baseline + stall, decode.tpotMs(), TOLERANCE_MS);

    RequestOutcome separated =
        byId(new Simulator(ENGINE).run(new Placement.Disaggregated(1, 1), trace)).getFirst();
    assertEquals(baseline, separated.tpotMs(), TOLERANCE_MS);
  }

  @Test
  void kvHandoffDelaysTheSecondTokenByBytesOverThroughput() {
    // 1000 tokens x 2000 bytes / 20000 bytes per ms = 100 ms.
    Engine slowStore = new Engine(OPT13B, BatchLimits.distServe(), new KvHandoff(2000, 20_000));
    RequestOutcome outcome =
        new Simulator(slowStore)
            .run(new Placement.Disaggregated(1, 1), Arrivals.parseTrace(List.of("0,1000,2")))
            .outcomes()
            .getFirst();
    assertEquals(OPT13B.prefillMs(new int[] {1000}), outcome.ttftMs(), TOLERANCE_MS);
    assertEquals(100 + OPT13B.decodeStepMs(1, 1001), outcome.tpotMs(), TOLERANCE_MS);
  }

  @Test
  void theCodecEncodesBeforeTheFirstTokenAndDecodesBeforeTheNextStep() {
    // encode 2 + 0.01/token on the prefill replica, transfer 5 ms, decode 3 + 0.001/token on the
    // decode replica: for 1000 tokens 12 ms before the first token, 5 + 4 ms before the second's
    // step
    KvHandoff measured =
        KvHandoff.measured(
            new KvHandoff.Stage(2, 0.01), new KvHandoff.Stage(5, 0), new KvHandoff.Stage(3, 0.001));
    RequestOutcome outcome =
        new Simulator(new Engine(OPT13B, BatchLimits.distServe(), measured))
            .run(new Placement.Disaggregated(1, 1), Arrivals.parseTrace(List.of("0,1000,2")))
            .outcomes()
            .getFirst();
    assertEquals(OPT13B.prefillMs(new int[] {1000}) + 12, outcome.ttftMs(), TOLERANCE_MS);
    assertEquals(5 + 4 + OPT13B.decodeStepMs(1, 1001), outcome.tpotMs(), TOLERANCE_MS);
  }

  @Test
  void dispatchSpreadsSimultaneousArrivalsOverReplicas() {
    Engine oneAtATime = new Engine(OPT13B, new BatchLimits(1, 8192, 65_536), KvHandoff.free());
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,1", "0,1000,1"));
    List<RequestOutcome> outcomes =
        new Simulator(oneAtATime).run(new Placement.Colocated(2), trace).outcomes();
    double prefill = OPT13B.prefillMs(new int[] {1000});
    assertEquals(prefill, outcomes.get(0).ttftMs(), TOLERANCE_MS);
    assertEquals(prefill, outcomes.get(1).ttftMs(), TOLERANCE_MS);
  }

  @Test
  void attainmentAndPercentilesFollowTheirDefinitions() {
    List<Request> trace = Arrivals.parseTrace(List.of("0,1000,1", "0,1000,1", "0,1000,1"));
    Engine oneAtATime = new Engine(OPT13B, new BatchLimits(1, 8192, 65_536), KvHandoff.free());
    SimulationResult result = new Simulator(oneAtATime).run(new Placement.Colocated(1), trace);
    double prefill = OPT13B.prefillMs(new int[] {1000});
    assertEquals(1.0 / 3, result.attainment(new Slo(prefill, 1)), 1e-12);
    assertEquals(2.0 / 3, result.attainment(new Slo(2 * prefill, 1)), 1e-12);
    assertEquals(prefill, result.ttftPercentileMs(33), TOLERANCE_MS);
    assertEquals(2 * prefill, result.ttftPercentileMs(50), TOLERANCE_MS);
    assertEquals(3 * prefill, result.ttftPercentileMs(99), TOLERANCE_MS);
  }

  @Test
  void aMixedColocatedStepCarriesTheNewPromptAlongsideTheRunningDecode() {
    Engine mixed =
        new Engine(OPT13B, BatchLimits.distServe(), KvHandoff.free(), ColocatedPolicy.MIXED);
    List<Request> trace = Arrivals.parseTrace(List.of("0,100,3", "1,100,1"));
    List<RequestOutcome> outcomes =
        byId(new Simulator(mixed).run(new Placement.Colocated(1), trace));
    double prefill = OPT13B.prefillMs(new int[] {100});
    // one forward pass: both variable costs, the larger fixed cost once
    double step = prefill - 18.10 + OPT13B.decodeStepMs(1, 101) - 19.93 + 19.93;
    assertEquals(step, OPT13B.mixedStepMs(new int[] {100}, 1, 101), TOLERANCE_MS);
    assertEquals(prefill + step - 1, outcomes.get(1).ttftMs(), TOLERANCE_MS);
    assertEquals((step + OPT13B.decodeStepMs(1, 102)) / 2, outcomes.get(0).tpotMs(), TOLERANCE_MS);
  }

  @Test
  void theSteadyStateDropsTheFirstAndLastRequestsByArrival() {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add((i * 1000) + ",100,1");
    }
    SimulationResult all =
        new Simulator(ENGINE).run(new Placement.Colocated(1), Arrivals.parseTrace(lines));
    List<Integer> kept =
        all.steadyState(0.2).outcomes().stream().map(o -> o.request().id()).sorted().toList();
    assertEquals(List.of(2, 3, 4, 5, 6, 7), kept);
  }

  private static List<RequestOutcome> byId(SimulationResult result) {
    return result.outcomes().stream()
        .sorted(Comparator.comparingInt(o -> o.request().id()))
        .toList();
  }
}
