package dev.coemesh.gateway.observe;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.router.RouteDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The latest routing decisions as the gateway executed them, for the status page: a ring of fixed
 * size, so memory is bounded whatever the traffic. A row holds what the router decided and for
 * which tenant, never the prompt or the request id. Thread-safe.
 */
public final class RecentDecisions {
  private final DecisionRow[] ring;
  private final LongSupplier clockMillis;
  // guarded by this
  private long recorded; // rows ever recorded; the next row goes to slot recorded % ring.length

  /**
   * One decision.
   *
   * @param seq 1 for the first decision since start, increasing by one
   * @param timeMillis wall-clock time of the placement
   * @param category the classifier's or the hint's category; null when an explicit model chose
   * @param reason how the expert was chosen (the router's reason label)
   * @param placement {@code upstream}, {@code colocated} or {@code disaggregated}
   * @param replicas the replicas placed on (prefill then decode), none for an upstream
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record DecisionRow(
      long seq,
      @JsonProperty("time_ms") long timeMillis,
      String tenant,
      String category,
      double confidence,
      String reason,
      String expert,
      String placement,
      List<String> replicas) {
    public DecisionRow {
      replicas = List.copyOf(replicas);
    }
  }

  /**
   * @param capacity rows kept, the oldest dropped first
   */
  public RecentDecisions(int capacity, LongSupplier clockMillis) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1");
    }
    this.ring = new DecisionRow[capacity];
    this.clockMillis = clockMillis;
  }

  /** Records the placement the gateway is about to execute for {@code tenant}. */
  public void record(TenantId tenant, RouteDecision d) {
    String kind;
    List<String> replicas;
    switch (d.placement()) {
      case Placement.Upstream _ -> {
        kind = "upstream";
        replicas = List.of();
      }
      case Placement.Colocated c -> {
        kind = "colocated";
        replicas = List.of(name(c.replica()));
      }
      case Placement.Disaggregated p -> {
        kind = "disaggregated";
        replicas = List.of(name(p.prefill()), name(p.decode()));
      }
    }
    long time = clockMillis.getAsLong();
    synchronized (this) {
      recorded++;
      ring[(int) ((recorded - 1) % ring.length)] =
          new DecisionRow(
              recorded,
              time,
              tenant.value(),
              d.category(),
              d.confidence(),
              d.reason().label(),
              d.expert().value(),
              kind,
              replicas);
    }
  }

  /** The rows kept, newest first. */
  public synchronized List<DecisionRow> latest() {
    int n = (int) Math.min(recorded, ring.length);
    List<DecisionRow> rows = new ArrayList<>(n);
    for (long seq = recorded; seq > recorded - n; seq--) {
      rows.add(ring[(int) ((seq - 1) % ring.length)]);
    }
    return rows;
  }

  /** Decisions recorded since start. */
  public synchronized long recorded() {
    return recorded;
  }

  private static String name(ReplicaId id) {
    return id.toString();
  }
}
