package dev.coemesh.routerservice;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.config.RoutingConfig;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link RouteDecision} as both wire formats carry it (REST JSON field names; the gRPC message
 * has the same fields): enums as their lower-case labels, ids as strings, absent values as null.
 */
public record DecisionView(
    @JsonProperty("request_id") String requestId,
    String category,
    double confidence,
    String reason,
    String expert,
    @JsonProperty("source_type") String sourceType,
    @JsonProperty("upstream_url") String upstreamUrl,
    @JsonProperty("upstream_model") String upstreamModel,
    String tier,
    String mode,
    String replica,
    @JsonProperty("decode_replica") String decodeReplica,
    @JsonProperty("cached_prefix_blocks") int cachedPrefixBlocks,
    Map<String, Double> scores) {

  public static DecisionView of(RouteDecision d) {
    String type;
    String url = null;
    String model = null;
    switch (d.source()) {
      case RoutingConfig.ModelSource.Embedded e -> type = "embedded";
      case RoutingConfig.ModelSource.Upstream u -> {
        type = "upstream";
        url = u.url().toString();
        model = u.model();
      }
    }
    return new DecisionView(
        d.requestId(),
        d.category(),
        d.confidence(),
        d.reason().label(),
        d.expert().value(),
        type,
        url,
        model,
        d.tier() == null ? null : d.tier().name().toLowerCase(Locale.ROOT),
        d.mode().name().toLowerCase(Locale.ROOT),
        d.replica() == null ? null : d.replica().toString(),
        d.decodeReplica() == null ? null : d.decodeReplica().toString(),
        d.cachedPrefixBlocks(),
        d.scores());
  }
}
