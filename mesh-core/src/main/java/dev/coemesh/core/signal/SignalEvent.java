package dev.coemesh.core.signal;

import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.tenant.TenantId;
import java.util.List;
import java.util.Objects;

/**
 * The versioned signal schemas. Each event names its topic and its ordering key; events with the
 * same key are delivered in order.
 */
public sealed interface SignalEvent {
  int SCHEMA_VERSION = 1;

  Topic topic();

  /** Kafka record key: events with one key stay ordered. */
  String key();

  /** Epoch milliseconds at the source. */
  long timestampMs();

  /** The signal topics of ARCHITECTURE.md. */
  enum Topic {
    LOAD("mesh.load"),
    KV_EVENTS("mesh.kv-events"),
    USAGE("mesh.usage"),
    SLO("mesh.slo"),
    ROUTING("mesh.routing");

    private final String topicName;

    Topic(String topicName) {
      this.topicName = topicName;
    }

    public String topicName() {
      return topicName;
    }
  }

  /**
   * A replica's load, and its announcement: a router learns of a replica (expert, role, instance),
   * where it serves and which weights it holds from its periodic reports alone, and forgets it when
   * they stop.
   *
   * @param endpoint where the replica serves gRPC, {@code host:port}; null for a replica inside the
   *     router's own process
   * @param modelFingerprint the {@link dev.coemesh.core.kv.ModelFingerprint} value of the weights
   *     it serves (KV is only exchangeable between equal fingerprints); 0 when unknown
   */
  record LoadReport(
      ReplicaId replica,
      String endpoint,
      long modelFingerprint,
      int queueDepth,
      int runningSequences,
      int kvBlocksUsed,
      int kvBlocksFree,
      double recentTtftMs,
      double recentTpotMs,
      long timestampMs)
      implements SignalEvent {
    public LoadReport {
      Objects.requireNonNull(replica, "replica");
      if (endpoint != null && endpoint.isBlank()) {
        throw new IllegalArgumentException("a replica's endpoint is null or host:port, not blank");
      }
    }

    /** A report without an endpoint or a known fingerprint (an in-process replica). */
    public LoadReport(
        ReplicaId replica,
        int queueDepth,
        int runningSequences,
        int kvBlocksUsed,
        int kvBlocksFree,
        double recentTtftMs,
        double recentTpotMs,
        long timestampMs) {
      this(
          replica,
          null,
          0,
          queueDepth,
          runningSequences,
          kvBlocksUsed,
          kvBlocksFree,
          recentTtftMs,
          recentTpotMs,
          timestampMs);
    }

    @Override
    public Topic topic() {
      return Topic.LOAD;
    }

    @Override
    public String key() {
      return replica.toString();
    }
  }

  /** KV blocks a replica stored or evicted, by chained block hash (prefix-cache-aware routing). */
  record KvBlockEvent(ReplicaId replica, Kind kind, List<Long> blockHashes, long timestampMs)
      implements SignalEvent {
    public enum Kind {
      STORED,
      EVICTED,
      /** The replica lost everything (restart): forget all its blocks. */
      CLEARED
    }

    public KvBlockEvent {
      Objects.requireNonNull(replica, "replica");
      Objects.requireNonNull(kind, "kind");
      blockHashes = List.copyOf(blockHashes);
    }

    @Override
    public Topic topic() {
      return Topic.KV_EVENTS;
    }

    @Override
    public String key() {
      return replica.toString();
    }
  }

  /** Tokens charged to a tenant's fair-share counter by one gateway replica. */
  record UsageCharge(
      TenantId tenant, String gateway, long inputTokens, long outputTokens, long timestampMs)
      implements SignalEvent {
    public UsageCharge {
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(gateway, "gateway");
    }

    @Override
    public Topic topic() {
      return Topic.USAGE;
    }

    @Override
    public String key() {
      return tenant.value();
    }
  }

  /** SLO attainment of one pool over a window. */
  record SloReport(
      String pool,
      double ttftAttainment,
      double tpotAttainment,
      double goodputRps,
      long windowMs,
      long timestampMs)
      implements SignalEvent {
    public SloReport {
      Objects.requireNonNull(pool, "pool");
    }

    @Override
    public Topic topic() {
      return Topic.SLO;
    }

    @Override
    public String key() {
      return pool;
    }
  }

  /**
   * One routing decision, for offline evaluation of the router.
   *
   * @param category the classifier's (or the hint's) category; null when an explicit model chose
   *     the expert
   * @param replica the chosen replica, null when the expert is an upstream without reported
   *     replicas
   * @param reason why this expert: classified, low-confidence (fallback), explicit-model or
   *     category-hint
   * @param scores each replica scorer's score of the chosen replica, in [0, 1]
   */
  record RoutingDecision(
      String requestId,
      String category,
      double confidence,
      String expert,
      String replica,
      String mode,
      String reason,
      java.util.Map<String, Double> scores,
      long timestampMs)
      implements SignalEvent {
    public RoutingDecision {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(expert, "expert");
      Objects.requireNonNull(reason, "reason");
      scores = java.util.Map.copyOf(scores);
    }

    @Override
    public Topic topic() {
      return Topic.ROUTING;
    }

    @Override
    public String key() {
      return expert;
    }
  }
}
