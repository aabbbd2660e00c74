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
      int admitted) {}

  /**
   * How far apart the backlogged tenants are: VTC keeps the gap between the counters of tenants
   * with waiting requests bounded, so a gap that grows without bound is a fairness fault.
   *
   * @param backlogged tenants with a request waiting now
   * @param counterGap highest minus lowest counter among them; 0 with fewer than two
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Fairness(int backlogged, double counterGap) {}
}
