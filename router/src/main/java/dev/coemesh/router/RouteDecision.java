package dev.coemesh.router;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.router.config.RoutingConfig;
import java.util.Map;
import java.util.Objects;

/**
 * Where one request goes and why.
 *
 * @param category the classifier's or the hint's category (also recorded on a low-confidence
 *     fallback); null when an explicit model chose the expert
 * @param confidence the category's probability in [0, 1]; 1 for overrides
 * @param source how to reach the expert (an embedded model or an upstream URL)
 * @param tier strong or weak for a cost/quality route, null otherwise
 * @param strongWinRate the estimated strong win rate of a cost/quality route, NaN otherwise
 * @param placement where the request runs: the upstream's URL, one colocated replica, or a prefill
 *     and decode pair; the gateway executes exactly this
 * @param cachedPrefixBlocks prompt blocks the chosen replica already caches
 * @param scores each scorer's score of the chosen replica, in [0, 1]
 */
public record RouteDecision(
    String requestId,
    String category,
    double confidence,
    RouteReason reason,
    ExpertId expert,
    RoutingConfig.ModelSource source,
    Tier tier,
    double strongWinRate,
    Placement placement,
    int cachedPrefixBlocks,
    Map<String, Double> scores) {

  /** The side of a strong/weak (cost/quality) pair a request went to. */
  public enum Tier {
    STRONG,
    WEAK
  }

  public RouteDecision {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(placement, "placement");
    scores = Map.copyOf(scores);
    if (!(confidence >= 0 && confidence <= 1)) {
      throw new IllegalArgumentException("confidence must be in [0, 1], was " + confidence);
    }
    if (placement instanceof Placement.Upstream
        && !(source instanceof RoutingConfig.ModelSource.Upstream)) {
      throw new IllegalArgumentException("an upstream placement for an expert without a URL");
    }
  }

  public ServingMode mode() {
    return placement.mode();
  }

  /** The colocated or prefill replica; null for an upstream placement. */
  public ReplicaId replica() {
    return switch (placement) {
      case Placement.Upstream _ -> null;
      case Placement.Colocated c -> c.replica();
      case Placement.Disaggregated d -> d.prefill();
    };
  }

  /** The decode replica of a disaggregated placement, null otherwise. */
  public ReplicaId decodeReplica() {
    return placement instanceof Placement.Disaggregated d ? d.decode() : null;
  }
}
