package dev.coemesh.router.config;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ServingMode;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The routing configuration: categories with example prompts (the classifier's training data),
 * experts, the category→expert table with a fallback, the classifier's confidence threshold and the
 * replica scorers' weights. Built only by {@link RoutingConfigLoader}, which validates it.
 */
public record RoutingConfig(
    List<Category> categories,
    List<Expert> experts,
    Map<String, ExpertId> routes,
    ExpertId fallbackExpert,
    double confidenceThreshold,
    Map<String, Double> scorerWeights,
    int disaggregateAtTokens) {

  public RoutingConfig {
    categories = List.copyOf(categories);
    experts = List.copyOf(experts);
    routes = Map.copyOf(routes);
    scorerWeights = Map.copyOf(scorerWeights);
  }

  /** A category of prompts and the examples that define it. */
  public record Category(String name, String description, List<String> examples) {
    public Category {
      examples = List.copyOf(examples);
    }
  }

  /** A model served by a pool. */
  public record Expert(
      ExpertId name,
      ModelSource source,
      ServingMode mode,
      double costPer1kTokens,
      int contextLength) {}

  /** Where an expert's model comes from. */
  public sealed interface ModelSource {
    /** A model file run by the embedded engine; paths relative to the models folder. */
    record Embedded(String model, String tokenizer) implements ModelSource {}

    /** An OpenAI-compatible server (vLLM, llama.cpp, ...) serving {@code model}. */
    record Upstream(URI url, String model) implements ModelSource {}
  }

  public Expert expert(ExpertId name) {
    return experts.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }
}
