package dev.coemesh.gateway.observe;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.router.RouteDecision;
import java.time.Duration;
import java.util.Objects;

/** The gateway's live views, fed by the orchestrator: SLO attainment, decisions, tenant usage. */
public record LiveObservations(SloTracker slo, RecentDecisions decisions, TenantUsage usage)
    implements RequestObserver {

  public LiveObservations {
    Objects.requireNonNull(slo, "slo");
    Objects.requireNonNull(decisions, "decisions");
    Objects.requireNonNull(usage, "usage");
  }

  @Override
  public void placed(TenantId tenant, RouteDecision decision) {
    decisions.record(tenant, decision);
  }

  @Override
  public void served(ExpertId expert, Duration ttft, Duration meanTpot) {
    slo.served(expert, ttft, meanTpot);
  }

  @Override
  public void charged(TenantId tenant, Usage usage) {
    this.usage.charged(tenant, usage.promptTokens(), usage.completionTokens());
  }

  @Override
  public void ended(TenantId tenant, boolean error) {
    usage.ended(tenant, error);
  }
}
