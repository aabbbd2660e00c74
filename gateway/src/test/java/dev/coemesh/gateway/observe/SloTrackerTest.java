package dev.coemesh.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SloTrackerTest {
  private static final ExpertId CHAT = new ExpertId("chat");
  private static final ExpertId CODE = new ExpertId("code");

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SloTargets targets =
      new SloTargets(
          Duration.ofSeconds(2),
          Duration.ofMillis(100),
          Map.of(CODE, new SloTargets.ExpertTargets(Duration.ofMillis(500), null)));
  private final SloTracker slo =
      new SloTracker(targets, Duration.ofMinutes(5), registry, clock::get);

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private double requests(ExpertId expert, String phase, String outcome) {
    var counter =
        registry
            .find("mesh.slo.requests")
            .tags("expert", expert.value(), "phase", phase, "outcome", outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  private double gauge(ExpertId expert, String phase) {
    return registry
        .get("mesh.slo.attainment")
        .tags("expert", expert.value(), "phase", phase)
        .gauge()
        .value();
  }

  @Test
  void aLatencyAtItsTargetMeetsItAndAboveMissesIt() {
    slo.served(CHAT, ms(2000), ms(100));
    slo.served(CHAT, ms(2001), ms(101));
    slo.served(CHAT, ms(10), ms(5));

    assertEquals(new SloTracker.Attainment(2, 1), slo.attainment(CHAT, SloPhase.TTFT));
    assertEquals(new SloTracker.Attainment(2, 1), slo.attainment(CHAT, SloPhase.TPOT));
    assertEquals(2, requests(CHAT, "ttft", "met"));
    assertEquals(1, requests(CHAT, "ttft", "missed"));
    assertEquals(2, requests(CHAT, "tpot", "met"));
    assertEquals(1, requests(CHAT, "tpot", "missed"));
    assertEquals(2.0 / 3, gauge(CHAT, "ttft"), 1e-12);
  }

  @Test
  void anExpertsOwnTargetReplacesTheDefaultForThatPhaseOnly() {
    slo.served(CODE, ms(600), ms(100)); // over code's 500 ms TTFT, at the default TPOT
    slo.served(CHAT, ms(600), ms(100));

    assertEquals(new SloTracker.Attainment(0, 1), slo.attainment(CODE, SloPhase.TTFT));
    assertEquals(new SloTracker.Attainment(1, 0), slo.attainment(CODE, SloPhase.TPOT));
    assertEquals(new SloTracker.Attainment(1, 0), slo.attainment(CHAT, SloPhase.TTFT));
    assertEquals(ms(500), targets.target(CODE, SloPhase.TTFT));
    assertEquals(ms(100), targets.target(CODE, SloPhase.TPOT));
    assertEquals(ms(2000), targets.target(CHAT, SloPhase.TTFT));
  }

  @Test
  void aSingleTokenRequestCountsForTtftOnly() {
    slo.served(CHAT, ms(100), null);

    assertEquals(new SloTracker.Attainment(1, 0), slo.attainment(CHAT, SloPhase.TTFT));
    assertEquals(new SloTracker.Attainment(0, 0), slo.attainment(CHAT, SloPhase.TPOT));
    assertEquals(0, requests(CHAT, "tpot", "met") + requests(CHAT, "tpot", "missed"));
  }

  @Test
  void requestsLeaveTheWindowButStayInTheCounters() {
    slo.served(CHAT, ms(5000), ms(5)); // missed
    clock.addAndGet(Duration.ofMinutes(4).plusSeconds(40).toMillis());
    slo.served(CHAT, ms(5), ms(5)); // met
    assertEquals(new SloTracker.Attainment(1, 1), slo.attainment(CHAT, SloPhase.TTFT));

    // 30 buckets of 10 s: the first request's bucket leaves once 5 minutes have passed
    clock.addAndGet(Duration.ofSeconds(30).toMillis());
    assertEquals(new SloTracker.Attainment(1, 0), slo.attainment(CHAT, SloPhase.TTFT));
    assertEquals(1.0, gauge(CHAT, "ttft"));

    clock.addAndGet(Duration.ofMinutes(5).toMillis());
    assertEquals(new SloTracker.Attainment(0, 0), slo.attainment(CHAT, SloPhase.TTFT));
    assertTrue(Double.isNaN(gauge(CHAT, "ttft")), "an empty window is no data, not a breach");
    assertEquals(1, requests(CHAT, "ttft", "met"));
    assertEquals(1, requests(CHAT, "ttft", "missed"));
  }

  @Test
  void aBucketReusedAfterAFullWindowForgetsItsOldCounts() {
    slo.served(CHAT, ms(5000), ms(5)); // missed
    clock.addAndGet(Duration.ofMinutes(5).toMillis()); // same slot of the ring, next lap
    slo.served(CHAT, ms(5), ms(5));

    assertEquals(new SloTracker.Attainment(1, 0), slo.attainment(CHAT, SloPhase.TTFT));
  }

  @Test
  void trackedExpertsHaveMetersBeforeTheirFirstRequest() {
    slo.track(CODE);

    assertEquals(0, requests(CODE, "ttft", "met"));
    assertTrue(Double.isNaN(gauge(CODE, "tpot")));
    assertEquals(2, registry.find("mesh.slo.attainment").tag("expert", "code").gauges().size());
  }

  @Test
  void aTargetThatIsNotPositiveIsAConfigError() {
    MeshException e =
        assertThrows(
            MeshException.class,
            () ->
                new SloTargets(
                    ms(1000),
                    ms(100),
                    Map.of(CODE, new SloTargets.ExpertTargets(null, Duration.ZERO))));
    assertEquals("mesh.slo.experts.\"code\".tpot must be positive, was PT0S", e.getMessage());
  }

  @Test
  void goodputCountsRequestsThatMetEveryObjectiveThatApplies() {
    slo.served(CHAT, ms(2000), ms(100)); // both met
    slo.served(CHAT, ms(2001), ms(5)); // TTFT missed
    slo.served(CHAT, ms(5), ms(101)); // TPOT missed
    slo.served(CHAT, ms(5), null); // one token: only TTFT applies
    assertEquals(new SloTracker.Attainment(2, 2), slo.goodput(CHAT));
    assertEquals(new SloTracker.Attainment(0, 0), slo.goodput(CODE));

    clock.addAndGet(Duration.ofMinutes(6).toMillis());
    assertEquals(new SloTracker.Attainment(0, 0), slo.goodput(CHAT));
  }
}
