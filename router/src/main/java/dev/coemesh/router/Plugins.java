package dev.coemesh.router;

import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.decide.DisaggregationDecider;
import dev.coemesh.router.decide.UncachedPromptDecider;
import dev.coemesh.router.filter.CapacityFilter;
import dev.coemesh.router.filter.Filter;
import dev.coemesh.router.filter.HealthFilter;
import dev.coemesh.router.filter.RoleFilter;
import dev.coemesh.router.picker.MaxScorePicker;
import dev.coemesh.router.picker.Picker;
import dev.coemesh.router.picker.RoundRobinPicker;
import dev.coemesh.router.scorer.KvUtilisationScorer;
import dev.coemesh.router.scorer.LoadScorer;
import dev.coemesh.router.scorer.PrefixAffinityScorer;
import dev.coemesh.router.scorer.QueueDepthScorer;
import dev.coemesh.router.scorer.Scorer;
import dev.coemesh.router.scorer.SessionAffinityScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Builds the replica-selection plugins a config names. The config loader has already checked the
 * names (they are enums), so building cannot fail; each switch covers every type, so adding a type
 * without its plugin does not compile.
 */
public final class Plugins {
  private Plugins() {}

  public static Filter filter(RoutingConfig.FilterType type) {
    return switch (type) {
      case HEALTH -> new HealthFilter();
      case ROLE -> new RoleFilter();
      case CAPACITY -> new CapacityFilter();
    };
  }

  public static Scorer scorer(RoutingConfig.ScorerType type) {
    return switch (type) {
      case QUEUE -> new QueueDepthScorer();
      case LOAD -> new LoadScorer();
      case KV_UTILISATION -> new KvUtilisationScorer();
      case PREFIX_AFFINITY -> new PrefixAffinityScorer();
      case SESSION_AFFINITY -> new SessionAffinityScorer();
    };
  }

  /**
   * @param random thread-safe when the picker is used by several threads
   */
  public static Picker picker(RoutingConfig.PickerType type, RandomGenerator random) {
    return switch (type) {
      case MAX_SCORE -> new MaxScorePicker(random);
      case ROUND_ROBIN -> new RoundRobinPicker();
    };
  }

  public static DisaggregationDecider decider(RoutingConfig.Pipeline pipeline) {
    return switch (pipeline.decider()) {
      case UNCACHED_PROMPT -> new UncachedPromptDecider(pipeline.disaggregateAtTokens());
    };
  }

  /** Filters in config order, scorers with weight > 0 in a fixed order, and the picker. */
  public static ReplicaSelector selector(RoutingConfig.Pipeline pipeline, RandomGenerator random) {
    List<Filter> filters = new ArrayList<>();
    for (RoutingConfig.FilterType f : pipeline.filters()) {
      filters.add(filter(f));
    }
    List<ReplicaSelector.Weighted> scorers = new ArrayList<>();
    for (RoutingConfig.ScorerType t : RoutingConfig.ScorerType.values()) {
      double weight = pipeline.scorerWeights().getOrDefault(t, 0.0);
      if (weight > 0) {
        scorers.add(new ReplicaSelector.Weighted(scorer(t), weight));
      }
    }
    return new ReplicaSelector(filters, scorers, picker(pipeline.picker(), random));
  }

  /** Scorer weights by config key, for reports. */
  public static Map<String, Double> weightsByKey(RoutingConfig.Pipeline pipeline) {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (RoutingConfig.ScorerType t : RoutingConfig.ScorerType.values()) {
      out.put(t.key(), pipeline.scorerWeights().getOrDefault(t, 0.0));
    }
    return out;
  }
}
