package dev.coemesh.router.config;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ServingMode;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The routing configuration: categories with example prompts (the classifier's training data),
 * experts, the category→expert table with a fallback, the classifier's confidence threshold,
 * request overrides and the replica-selection pipeline. Built only by {@link RoutingConfigLoader},
 * which validates it and reports errors by file, line and field.
 */
public record RoutingConfig(
    List<Category> categories,
    List<Expert> experts,
    Map<String, Route> routes,
    ExpertId fallbackExpert,
    double confidenceThreshold,
    ClassifierSpec classifier,
    Overrides overrides,
    Pipeline pipeline) {

  public RoutingConfig {
    categories = List.copyOf(categories);
    experts = List.copyOf(experts);
    routes = Map.copyOf(routes);
    Objects.requireNonNull(fallbackExpert, "fallbackExpert");
    Objects.requireNonNull(classifier, "classifier");
    Objects.requireNonNull(overrides, "overrides");
    Objects.requireNonNull(pipeline, "pipeline");
    if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
      throw new IllegalArgumentException("confidence threshold must be in [0, 1]");
    }
  }

  /**
   * A category of prompts and the examples that define it.
   *
   * @param strongExamples prompts of this category that need the strong expert of a strong/weak
   *     route (empty when the category has a single expert)
   */
  public record Category(
      String name, String description, List<String> examples, List<String> strongExamples) {
    public Category {
      Objects.requireNonNull(name, "name");
      examples = List.copyOf(examples);
      strongExamples = List.copyOf(strongExamples);
    }
  }

  /**
   * A model served by a pool.
   *
   * @param costPer1kTokens price used for reporting and cost/quality pairs, in any currency unit
   * @param contextLength tokens, 0 when unknown
   * @param kvBlockSize positions per KV block on the expert's replicas; request block hashes are
   *     chained over blocks of this size
   */
  public record Expert(
      ExpertId name,
      ModelSource source,
      ServingMode mode,
      double costPer1kTokens,
      int contextLength,
      int kvBlockSize,
      PrefixCache prefixCache) {
    public Expert {
      Objects.requireNonNull(prefixCache, "prefixCache");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(mode, "mode");
      if (kvBlockSize < 1) {
        throw new IllegalArgumentException("kv block size must be >= 1");
      }
    }
  }

  /**
   * Whose requests may reuse each other's cached prompt prefixes on an expert's replicas. {@code
   * TENANT} (the default) scopes reuse to one tenant: one tenant never hits, or learns of through
   * timing, another's cached prompt. {@code SHARED} lets every tenant reuse a common prefix (a
   * system prompt all tenants send), for experts whose prompts are not confidential.
   */
  public enum PrefixCache {
    TENANT,
    SHARED
  }

  /** Where an expert's model comes from. */
  public sealed interface ModelSource {
    /** A model file run by the embedded engine; paths relative to the models folder. */
    record Embedded(String model, String tokenizer) implements ModelSource {}

    /**
     * An OpenAI-compatible server (vLLM, llama.cpp, ...) serving {@code model}.
     *
     * @param url the server's API base ({@code http://host:port} or {@code http://host:port/v1})
     * @param apiKeyEnv the environment variable holding its API key, or null for none (keys never
     *     live in the routing file)
     * @param maxConcurrent requests forwarded to it at once; the rest wait in the fair queues
     */
    record Upstream(URI url, String model, String apiKeyEnv, int maxConcurrent)
        implements ModelSource {
      public Upstream {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(model, "model");
        if (maxConcurrent < 1) {
          throw new IllegalArgumentException("max concurrent must be >= 1");
        }
      }

      /** An upstream without a key, forwarded {@value #DEFAULT_MAX_CONCURRENT} requests at once. */
      public Upstream(URI url, String model) {
        this(url, model, null, DEFAULT_MAX_CONCURRENT);
      }

      public static final int DEFAULT_MAX_CONCURRENT = 64;
    }
  }

  /** What a category routes to. */
  public sealed interface Route {
    /** Every request of the category goes to one expert. */
    record Single(ExpertId expert) implements Route {
      public Single {
        Objects.requireNonNull(expert, "expert");
      }
    }

    /**
     * RouteLLM-style cost/quality pair: a request goes to {@code strong} when its estimated strong
     * win rate reaches a threshold calibrated so that {@code strongFraction} of the category's
     * calibration prompts go there, otherwise to {@code weak}.
     */
    record StrongWeak(ExpertId strong, ExpertId weak, double strongFraction) implements Route {
      public StrongWeak {
        Objects.requireNonNull(strong, "strong");
        Objects.requireNonNull(weak, "weak");
        if (!(strongFraction >= 0 && strongFraction <= 1)) {
          throw new IllegalArgumentException("strong fraction must be in [0, 1]");
        }
      }
    }
  }

  /** The category classifier families cross-validation chooses among. */
  public enum ClassifierType {
    /** Cross-validate every family and keep the most accurate. */
    AUTO,
    NEAREST_CENTROID,
    KNN,
    /** Multinomial logistic regression on the embedding (the CoE category router's form). */
    SOFTMAX
  }

  /**
   * @param k neighbours of the k-NN family
   * @param folds cross-validation folds (stratified)
   */
  public record ClassifierSpec(ClassifierType type, int k, int folds) {
    public static final ClassifierSpec DEFAULT = new ClassifierSpec(ClassifierType.AUTO, 5, 5);

    public ClassifierSpec {
      Objects.requireNonNull(type, "type");
      if (k < 1 || folds < 2) {
        throw new IllegalArgumentException("k >= 1 and folds >= 2 required");
      }
    }
  }

  /**
   * Which request fields may bypass the classifier.
   *
   * @param explicitModel a request whose {@code model} names an expert goes to that expert
   * @param categoryHint a request's category hint (e.g. a header) replaces the classifier's
   *     category
   * @param autoModel the {@code model} value that asks for routing (as does an absent one)
   */
  public record Overrides(boolean explicitModel, boolean categoryHint, String autoModel) {
    public static final Overrides DEFAULT = new Overrides(true, true, "auto");

    public Overrides {
      Objects.requireNonNull(autoModel, "autoModel");
    }
  }

  /** The replica-selection plugins by type name, as configured. */
  public enum FilterType {
    HEALTH,
    ROLE,
    CAPACITY
  }

  /** Scorer plugins; each maps to one scorer weight key. */
  public enum ScorerType {
    QUEUE("queue"),
    LOAD("load"),
    KV_UTILISATION("kv-utilisation"),
    PREFIX_AFFINITY("prefix-affinity"),
    SESSION_AFFINITY("session-affinity");

    private final String key;

    ScorerType(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  public enum PickerType {
    /** The highest weighted score. */
    MAX_SCORE,
    /** The candidates in turn, scores ignored (the baseline placement). */
    ROUND_ROBIN
  }

  public enum DeciderType {
    /** Disaggregate when the prompt part not in the best replica's cache is long. */
    UNCACHED_PROMPT
  }

  /**
   * Step 2 of routing: filters in order, weighted scorers (weights >= 0; a scorer with weight 0 is
   * skipped), one picker and the disaggregation decider with its token threshold.
   */
  public record Pipeline(
      List<FilterType> filters,
      Map<ScorerType, Double> scorerWeights,
      PickerType picker,
      DeciderType decider,
      int disaggregateAtTokens) {
    public Pipeline {
      filters = List.copyOf(filters);
      scorerWeights = Map.copyOf(scorerWeights);
      Objects.requireNonNull(picker, "picker");
      Objects.requireNonNull(decider, "decider");
      if (disaggregateAtTokens < 1) {
        throw new IllegalArgumentException("disaggregation threshold must be >= 1 token");
      }
    }
  }

  public Expert expert(ExpertId name) {
    for (Expert e : experts) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("no expert " + name);
  }

  public boolean hasExpert(ExpertId name) {
    for (Expert e : experts) {
      if (e.name().equals(name)) {
        return true;
      }
    }
    return false;
  }

  public Category category(String name) {
    for (Category c : categories) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("no category " + name);
  }
}
