package dev.coemesh.gateway.status;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.coemesh.gateway.observe.RecentDecisions.DecisionRow;
import java.util.List;
import java.util.Map;

/**
 * The document of {@code GET /mesh/v1/status}: the mesh as the gateway sees it at {@link
 * #timeMillis}. Counters count since the gateway started, so a client computes rates from two
 * documents' differences over their {@code time_ms}.
 *
 * @param timeMillis server wall-clock time of the snapshot (Unix milliseconds)
 * @param startedMillis when this gateway started (a counter reset shows as a new value)
 * @param tenantsFile the tenants file's reloads, or null when tenants come from properties
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StatusReport(
    @JsonProperty("time_ms") long timeMillis,
    @JsonProperty("started_ms") long startedMillis,
    Totals totals,
    SloWindow slo,
    List<ExpertStatus> experts,
    List<TenantStatus> tenants,
    Fairness fairness,
    List<DecisionRow> decisions,
    Limits limits,
    TenantsFile tenantsFile) {

  /**
   * The tenants file ({@code mesh.auth.tenants-file}) and how its reloads went since start.
   *
   * @param reloads changes applied
   * @param rejected changes refused; the tenants in force stayed
   * @param lastError why the latest change was refused, or null when the file in force is the
   *     latest
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record TenantsFile(String file, long reloads, long rejected, String lastError) {}

  /**
   * Requests the orchestrator started and ended since start, and the tokens charged.
   *
   * @param errors requests that ended with an error code (refused, failed, timed out)
   * @param inflight requests between arrival and their terminal event now
   * @param decisions placements made since start
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Totals(
      long requests,
      long errors,
      long inputTokens,
      long outputTokens,
      int inflight,
      long decisions) {}

  /** The sliding window that {@link Slo#attainment} covers. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record SloWindow(long windowSeconds) {}

  /**
   * One expert.
   *
   * @param pool {@code embedded} (replicas in this JVM), {@code remote} (worker processes) or
   *     {@code upstream} (an OpenAI-compatible server)
   * @param slo by phase: {@code ttft}, {@code tpot}
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ExpertStatus(
      String expert,
      String pool,
      int contextLength,
      Load load,
      FairQueue fair,
      List<ReplicaStatus> replicas,
      Map<String, Slo> slo) {}

  /** Summed over the expert's live replicas (its capacity for admission). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Load(
      int running, int waiting, int maxRunning, int kvBlocksFree, int kvBlocksTotal) {}

  /** The expert's lane in the gateway's fair queue. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record FairQueue(int waiting, int admitted) {}

  /**
   * One replica as its latest load report (or the probe of its seed) told the router.
   *
   * @param state {@code serving}, or {@code breaker_open} while its circuit breaker refuses traffic
   * @param endpoint its gRPC {@code host:port}; null for a replica in this JVM
   * @param placed requests placed on it since that report
   * @param kvUsage KV blocks used over all, in [0, 1]
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ReplicaStatus(
      String id,
      String role,
      String state,
      String endpoint,
      int running,
      int waiting,
      int placed,
      int kvBlocksUsed,
      int kvBlocksTotal,
      double kvUsage) {}

  /**
   * One phase's objective and its attainment over the window.
   *
   * @param attainment {@code met / (met + missed)}; null when the window holds no request
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Slo(double targetMs, Double attainment, long met, long missed) {}

  /**
   * One configured tenant: usage since start and its state in the fair scheduler.
   *
   * @param vtcCounter its virtual token counter: weighted service received, lifts included
   * @param waiting requests in its fair queues now
   * @param admitted requests admitted and not finished
   * @param servedInputTokens prompt tokens this replica admitted (the fair scheduler's count)
   * @param servedOutputTokens output tokens this replica streamed
   * @param otherReplicasInputTokens prompt tokens the other gateway replicas reported serving
   * @param otherReplicasOutputTokens output tokens the other gateway replicas reported serving
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record TenantStatus(
      String tenant,
      double weight,
      long requests,
      long errors,
      long inputTokens,
      long outputTokens,
      double vtcCounter,
      int waiting,
      int admitted,
      long servedInputTokens,
      long servedOutputTokens,
      long otherReplicasInputTokens,
      long otherReplicasOutputTokens) {}

  /**
   * How far apart the backlogged tenants are: VTC keeps the gap between the counters of tenants
   * with waiting requests bounded, so a gap that grows without bound is a fairness fault.
   *
   * @param backlogged tenants with a request waiting now
   * @param counterGap highest minus lowest counter among them; 0 with fewer than two
   * @param exchange whether counters include the other gateway replicas' service: {@code off} (not
   *     configured), {@code idle} (nothing to share yet), {@code global}, or {@code local-only}
   *     (Kafka unreachable: this replica orders tenants by its own counters until it returns)
   * @param usageRoundTripMs publish-to-delivery time of this replica's newest shared totals, -1
   *     before the first
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Fairness(
      int backlogged, double counterGap, String exchange, long usageRoundTripMs) {}

  /**
   * Where the tenants' limits are kept and how they stand on this gateway.
   *
   * @param mode {@code local} (per gateway process) or {@code shared} (Redis, over every gateway)
   * @param store the store's address without credentials; null in local mode
   * @param storeUp whether the store answers (false: its breaker is open, fallbacks apply); null in
   *     local mode
   * @param storeChangedMs when {@code store_up} last changed (Unix ms); null in local mode
   * @param leases concurrency leases this gateway holds for its requests in flight
   * @param pendingReleases releases waiting for the store to answer again
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Limits(
      String mode,
      String store,
      Boolean storeUp,
      @JsonProperty("store_changed_ms") Long storeChangedMillis,
      int leases,
      int pendingReleases,
      List<TenantLimit> tenants) {}

  /**
   * One configured tenant's limits and this gateway's refusals by limit since start.
   *
   * @param requestsPerMinute 0 for none
   * @param tokensPerMinute 0 for none
   * @param whenLimitsUnavailable {@code fail_open} or {@code fail_closed}
   * @param refused by limit: {@code requests}, {@code tokens}, {@code concurrency}, {@code
   *     store_unavailable}
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record TenantLimit(
      String tenant,
      long requestsPerMinute,
      long tokensPerMinute,
      int maxConcurrent,
      String whenLimitsUnavailable,
      Map<String, Long> refused) {}
}
