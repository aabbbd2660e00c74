package dev.coemesh.routerservice.planner;

import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.signal.SignalEvent.RoutingDecision;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.planner.control.Phase;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the planner knows from the signals: arrivals per expert ({@code mesh.routing}, one decision
 * per request), replicas per expert and phase with their recent latencies ({@code mesh.load}), and
 * the latest SLO attainment per expert pool ({@code mesh.slo}). Thread-safe: the bus delivers on
 * its thread, the loops read on theirs.
 */
final class PlannerSignals {
  private record Pool(String expert, Phase phase) {}

  private record Seen(long atMs, double ttftMs, double tpotMs) {}

  private final long rateWindowMs;
  private final long expiryMs;
  private final Map<String, Deque<Long>> arrivals = new ConcurrentHashMap<>();
  private final Map<Pool, Map<String, Seen>> replicas = new ConcurrentHashMap<>();
  private final Map<String, SloReport> slo = new ConcurrentHashMap<>();

  PlannerSignals(long rateWindowMs, long expiryMs) {
    this.rateWindowMs = rateWindowMs;
    this.expiryMs = expiryMs;
  }

  void routed(RoutingDecision d, long nowMs) {
    Deque<Long> q = arrivals.computeIfAbsent(d.expert(), e -> new ArrayDeque<>());
    synchronized (q) {
      q.addLast(nowMs);
      trim(q, nowMs);
    }
  }

  void load(LoadReport r, long nowMs) {
    Phase phase =
        switch (r.replica().role()) {
          case COLOCATED -> Phase.COLOCATED;
          case PREFILL -> Phase.PREFILL;
          case DECODE -> Phase.DECODE;
        };
    replicas
        .computeIfAbsent(
            new Pool(r.replica().expert().value(), phase), p -> new ConcurrentHashMap<>())
        .put(r.replica().instance(), new Seen(nowMs, r.recentTtftMs(), r.recentTpotMs()));
  }

  void slo(SloReport r) {
    slo.merge(r.pool(), r, (old, now) -> now.timestampMs() >= old.timestampMs() ? now : old);
  }

  /** Every expert and phase that has reported a replica, as {@code expert/phase}, sorted. */
  Set<String> pools() {
    Set<String> out = new TreeSet<>();
    replicas.keySet().forEach(p -> out.add(p.expert() + "/" + p.phase().label()));
    return out;
  }

  double arrivalRps(String expert, long nowMs) {
    Deque<Long> q = arrivals.get(expert);
    if (q == null) {
      return 0;
    }
    synchronized (q) {
      trim(q, nowMs);
      return q.size() * 1000.0 / rateWindowMs;
    }
  }

  int ready(String expert, Phase phase, long nowMs) {
    Map<String, Seen> seen = replicas.get(new Pool(expert, phase));
    if (seen == null) {
      return 0;
    }
    seen.values().removeIf(s -> nowMs - s.atMs() > expiryMs);
    return seen.size();
  }

  /**
   * The replicas' mean recent latency in the phase (TTFT for prefill and colocated, TPOT for
   * decode), NaN when none reports one.
   */
  double observedLatencyMs(String expert, Phase phase) {
    Map<String, Seen> seen = replicas.get(new Pool(expert, phase));
    if (seen == null) {
      return Double.NaN;
    }
    double sum = 0;
    int n = 0;
    for (Seen s : seen.values()) {
      double v = phase == Phase.DECODE ? s.tpotMs() : s.ttftMs();
      if (v > 0 && Double.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** The phase's attainment from the latest report of its expert's pool; NaN without one. */
  double attainment(String expert, Phase phase, long nowMs) {
    SloReport r = slo.get(expert);
    if (r == null || nowMs - r.timestampMs() > r.windowMs()) {
      return Double.NaN;
    }
    return phase == Phase.DECODE ? r.tpotAttainment() : r.ttftAttainment();
  }

  private void trim(Deque<Long> q, long nowMs) {
    while (!q.isEmpty() && nowMs - q.peekFirst() > rateWindowMs) {
      q.removeFirst();
    }
  }
}
