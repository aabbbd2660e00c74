package dev.coemesh.gateway.status;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.auth.TenantDirectory;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.limit.TenantLimits;
import dev.coemesh.gateway.observe.RecentDecisions;
import dev.coemesh.gateway.observe.SloPhase;
import dev.coemesh.gateway.observe.SloTracker;
import dev.coemesh.gateway.observe.TenantUsage;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestMetrics;
import dev.coemesh.gateway.orchestrate.UsageExchangeGauges;
import dev.coemesh.gateway.serve.EmbeddedPool;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.RemotePool;
import dev.coemesh.gateway.serve.UpstreamPool;
import dev.coemesh.router.Router;
import dev.coemesh.router.replica.ReplicaView;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Assembles the {@link StatusReport} from the live state the gateway already keeps: the experts'
 * pools, the router's replica registry, the fair scheduler, the SLO tracker, tenant usage, the
 * recent decisions and the tenants' limits. Reads only; each source is read under its own short
 * lock, so the parts of one report may be a few microseconds apart.
 */
@Singleton
public class StatusBoard {
  private final long startedMillis = System.currentTimeMillis();
  private final ExpertDirectory experts;
  private final Router router;
  private final VtcScheduler fair;
  private final TenantDirectory tenants;
  private final SloTracker slo;
  private final TenantUsage usage;
  private final RecentDecisions decisions;
  private final RequestMetrics metrics;
  private final TenantLimits limits;

  public StatusBoard(
      ExpertDirectory experts,
      Router router,
      VtcScheduler fair,
      TenantDirectory tenants,
      SloTracker slo,
      TenantUsage usage,
      RecentDecisions decisions,
      RequestMetrics metrics,
      TenantLimits limits) {
    this.experts = experts;
    this.router = router;
    this.fair = fair;
    this.tenants = tenants;
    this.slo = slo;
    this.usage = usage;
    this.decisions = decisions;
    this.metrics = metrics;
    this.limits = limits;
  }

  public StatusReport snapshot() {
    long now = System.currentTimeMillis();
    List<StatusReport.ExpertStatus> expertViews = new ArrayList<>();
    for (ExpertPool pool : experts.all()) {
      expertViews.add(expert(pool));
    }
    TenantUsage.Totals all = usage.all();
    StatusReport.Totals totals =
        new StatusReport.Totals(
            all.requests(),
            all.errors(),
            all.inputTokens(),
            all.outputTokens(),
            metrics.inflight(),
            decisions.recorded());
    List<VtcScheduler.TenantView> vtc = fair.tenants();
    return new StatusReport(
        now,
        startedMillis,
        totals,
        new StatusReport.SloWindow(slo.window().toSeconds()),
        expertViews,
        tenants(vtc),
        fairness(vtc, fair.exchange(), fair.usageRoundTripMillis()),
        decisions.latest(),
        limits(),
        tenants
            .reloadStatus()
            .map(
                s ->
                    new StatusReport.TenantsFile(
                        s.file(), s.reloads(), s.rejected(), s.lastError()))
            .orElse(null));
  }

  private StatusReport.Limits limits() {
    TenantLimits.View v = limits.view();
    List<StatusReport.TenantLimit> rows = new ArrayList<>();
    for (Tenant t : tenants.tenants()) {
      rows.add(
          new StatusReport.TenantLimit(
              t.id().value(),
              t.requestsPerMinute(),
              t.tokensPerMinute(),
              t.maxConcurrent(),
              t.whenLimitsUnavailable().name().toLowerCase(Locale.ROOT),
              v.refused().getOrDefault(t.id(), Map.of())));
    }
    return new StatusReport.Limits(
        v.mode(),
        v.store(),
        v.storeUp(),
        v.storeChangedMillis(),
        v.leases(),
        v.pendingReleases(),
        rows);
  }

  private StatusReport.ExpertStatus expert(ExpertPool pool) {
    ExpertId id = pool.expert();
    ExpertBackend.Capacity c = pool.capacity();
    List<StatusReport.ReplicaStatus> replicas = new ArrayList<>();
    List<ReplicaView> views = new ArrayList<>(router.replicas(id));
    views.sort(Comparator.comparing(v -> v.id().toString()));
    for (ReplicaView v : views) {
      replicas.add(replica(v));
    }
    Map<String, StatusReport.Slo> objectives = new LinkedHashMap<>();
    for (SloPhase phase : SloPhase.values()) {
      SloTracker.Attainment a = slo.attainment(id, phase);
      objectives.put(
          phase.label(),
          new StatusReport.Slo(
              slo.targets().target(id, phase).toNanos() / 1e6,
              a.total() == 0 ? null : a.ratio(),
              a.met(),
              a.missed()));
    }
    return new StatusReport.ExpertStatus(
        id.value(),
        kind(pool),
        pool.contextLength(),
        new StatusReport.Load(
            c.runningSequences(),
            c.waitingSequences(),
            c.maxRunningSequences(),
            c.freeKvBlocks(),
            c.totalKvBlocks()),
        new StatusReport.FairQueue(fair.waiting(id), fair.inflight(id)),
        replicas,
        objectives);
  }

  private static String kind(ExpertPool pool) {
    return switch (pool) {
      case EmbeddedPool _ -> "embedded";
      case RemotePool _ -> "remote";
      case UpstreamPool _ -> "upstream";
    };
  }

  private static StatusReport.ReplicaStatus replica(ReplicaView v) {
    return new StatusReport.ReplicaStatus(
        v.id().toString(),
        v.id().role().name().toLowerCase(Locale.ROOT),
        v.breakerOpen() ? "breaker_open" : "serving",
        v.endpoint(),
        v.runningSequences(),
        v.queueDepth(),
        v.placedSinceReport(),
        v.kvBlocksUsed(),
        v.kvBlocksUsed() + v.kvBlocksFree(),
        v.kvUtilisation());
  }

  /** The configured tenants, then any other the scheduler has seen (none, unless reloaded). */
  private List<StatusReport.TenantStatus> tenants(List<VtcScheduler.TenantView> vtc) {
    Map<TenantId, VtcScheduler.TenantView> byId = new HashMap<>();
    for (VtcScheduler.TenantView v : vtc) {
      byId.put(v.tenant(), v);
    }
    Map<TenantId, Double> weights = new LinkedHashMap<>();
    for (Tenant t : tenants.tenants()) {
      weights.put(t.id(), t.weight());
    }
    for (VtcScheduler.TenantView v : vtc) {
      weights.putIfAbsent(v.tenant(), v.weight());
    }
    List<StatusReport.TenantStatus> rows = new ArrayList<>();
    weights.forEach(
        (id, weight) -> {
          TenantUsage.Totals u = usage.of(id);
          VtcScheduler.TenantView v = byId.get(id);
          rows.add(
              new StatusReport.TenantStatus(
                  id.value(),
                  weight,
                  u.requests(),
                  u.errors(),
                  u.inputTokens(),
                  u.outputTokens(),
                  v == null ? 0 : v.counter(),
                  v == null ? 0 : v.queued(),
                  v == null ? 0 : v.running(),
                  v == null ? 0 : v.service().inputTokens(),
                  v == null ? 0 : v.service().outputTokens(),
                  v == null ? 0 : v.otherReplicas().inputTokens(),
                  v == null ? 0 : v.otherReplicas().outputTokens()));
        });
    return rows;
  }

  static StatusReport.Fairness fairness(
      List<VtcScheduler.TenantView> vtc, VtcScheduler.Exchange exchange, long roundTripMillis) {
    int backlogged = 0;
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (VtcScheduler.TenantView v : vtc) {
      if (v.queued() > 0) {
        backlogged++;
        low = Math.min(low, v.counter());
        high = Math.max(high, v.counter());
      }
    }
    return new StatusReport.Fairness(
        backlogged,
        backlogged < 2 ? 0 : high - low,
        UsageExchangeGauges.label(exchange),
        roundTripMillis);
  }
}
