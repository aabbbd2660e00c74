package dev.coemesh.operator.routing;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ServingMode;
import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.operator.expert.InvalidSpecException;
import dev.coemesh.operator.expert.Labels;
import dev.coemesh.operator.gateway.GatewayFiles;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The router's routing config generated from the Experts of one namespace, in the format {@link
 * RoutingConfigLoader} reads. An Expert names only its categories; what defines a category (its
 * example prompts, which the classifier trains on) comes from a base routing config, the router's
 * shipped default unless the installation gives its own, whose classifier, overrides and pipeline
 * settings are kept too. Its experts, routes and fallback are replaced by the Experts'.
 *
 * <p>Rules: each category goes to one Expert. The Expert created first (then the lexically first
 * name) keeps a category two claim; the other is refused whole ({@code CategoryClaimed}), as is one
 * naming a category the base does not define ({@code UnknownCategory}). The fallback expert is the
 * first Expert annotated {@code coemesh.dev/fallback: "true"}, else the one serving {@code chat},
 * else the first by name. The gateways load every routed Expert's files by file name, so a later
 * Expert downloading a file name an earlier one downloads from elsewhere is refused too ({@code
 * ModelFileConflict}, see {@link GatewayFiles}).
 */
public final class RoutingTable {
  public static final String CONFIG_MAP = "coemesh-routing";
  public static final String KEY = "routing.yaml";
  private static final Set<String> REPLACED =
      Set.of("categories", "experts", "routes", "fallback_expert");

  private final Map<String, Object> base;
  private final Map<String, Map<String, Object>> categories;
  private final Map<String, Map<String, Object>> baseExperts;

  private RoutingTable(Map<String, Object> base) {
    this.base = base;
    this.categories = byName(base.get("categories"));
    this.baseExperts = byName(base.get("experts"));
  }

  /** The base at {@code file}, or the router's shipped default; checked by the router's loader. */
  public static RoutingTable load(Optional<Path> file) {
    String text;
    String name;
    try {
      if (file.isPresent()) {
        text = Files.readString(file.get());
        name = file.get().getFileName().toString();
      } else {
        try (InputStream in =
            RoutingConfigLoader.class
                .getClassLoader()
                .getResourceAsStream(RoutingConfigLoader.DEFAULT_RESOURCE)) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        name = RoutingConfigLoader.DEFAULT_RESOURCE;
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the base routing config: " + e.getMessage(), e);
    }
    RoutingConfigLoader.parse(name, text);
    return new RoutingTable(new Yaml(new LoaderOptions()).load(text));
  }

  /** The categories an Expert may claim. */
  public Set<String> knownCategories() {
    return categories.keySet();
  }

  /**
   * The table for {@code plans} (Experts whose own spec is valid).
   *
   * @param accepted the Experts routed to, in claim order
   * @param refused why each other Expert is not
   * @param yaml the routing config, or empty when no Expert is accepted
   * @param experts its experts as the router reads them, in order: what a gateway compares to
   *     refuse a reload that changes its experts (empty when no Expert is accepted)
   */
  public record Result(
      List<ExpertPlan> accepted,
      Map<String, InvalidSpecException> refused,
      Optional<String> yaml,
      List<RoutingConfig.Expert> experts) {}

  public Result build(List<ExpertPlan> plans) {
    List<ExpertPlan> ordered = new ArrayList<>(plans);
    ordered.sort(CLAIM_ORDER);
    Map<String, String> owners = new LinkedHashMap<>();
    List<ExpertPlan> accepted = new ArrayList<>();
    Map<String, InvalidSpecException> refused = new LinkedHashMap<>();
    GatewayFiles files = new GatewayFiles();
    for (ExpertPlan plan : ordered) {
      InvalidSpecException problem = problem(plan, owners);
      if (problem == null) {
        problem = files.conflict(plan);
      }
      if (problem != null) {
        refused.put(plan.name(), problem);
        continue;
      }
      plan.spec().categories().forEach(c -> owners.put(c, plan.name()));
      files.add(plan);
      accepted.add(plan);
    }
    if (accepted.isEmpty()) {
      return new Result(accepted, refused, Optional.empty(), List.of());
    }
    String yaml = yaml(accepted);
    // never hand the router a config it would refuse
    RoutingConfig config = RoutingConfigLoader.parse(KEY, yaml);
    return new Result(accepted, refused, Optional.of(yaml), config.experts());
  }

  private InvalidSpecException problem(ExpertPlan plan, Map<String, String> owners) {
    for (String category : new LinkedHashSet<>(plan.spec().categories())) {
      if (!categories.containsKey(category)) {
        return new InvalidSpecException(
            "UnknownCategory",
            "spec.categories: "
                + category
                + " is not defined by the base routing config (known: "
                + String.join(", ", categories.keySet())
                + ")");
      }
      String owner = owners.get(category);
      if (owner != null) {
        return new InvalidSpecException(
            "CategoryClaimed",
            "spec.categories: " + category + " is already served by Expert " + owner);
      }
    }
    return null;
  }

  /** Older first, then by name: an established Expert keeps its categories. */
  static final Comparator<ExpertPlan> CLAIM_ORDER =
      Comparator.comparing(
              (ExpertPlan p) ->
                  Optional.ofNullable(p.expert().getMetadata().getCreationTimestamp()).orElse(""))
          .thenComparing(ExpertPlan::name);

  private String yaml(List<ExpertPlan> accepted) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", base.get("version"));
    base.forEach(
        (k, v) -> {
          if (!REPLACED.contains(k) && !k.equals("version")) {
            out.put(k, v);
          }
        });
    List<Object> experts = new ArrayList<>();
    Map<String, Object> routes = new LinkedHashMap<>();
    for (ExpertPlan plan : accepted) {
      experts.add(expertEntry(plan));
      plan.spec().categories().forEach(c -> routes.put(c, plan.name()));
    }
    out.put("experts", experts);
    out.put("routes", routes);
    out.put("fallback_expert", fallback(accepted, routes));
    List<Object> used = new ArrayList<>();
    categories.forEach(
        (name, category) -> {
          if (routes.containsKey(name)) {
            used.add(category);
          }
        });
    out.put("categories", used);
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(120);
    return "# Generated by the coemesh operator from the Expert objects of this namespace; edits are"
        + " overwritten.\n"
        + new Yaml(options).dump(out);
  }

  /**
   * The base's entry of the same name (costs, context length) with this Expert's model and mode.
   */
  private Map<String, Object> expertEntry(ExpertPlan plan) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", plan.name());
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("type", "embedded");
    source.put("model", fileName(plan.model().model()));
    if (plan.model().tokenizer() != null) {
      source.put("tokenizer", fileName(plan.model().tokenizer()));
    }
    entry.put("source", source);
    entry.put("mode", mode(plan));
    Map<String, Object> known = baseExperts.get(plan.name());
    if (known != null) {
      known.forEach(
          (k, v) -> {
            if (!entry.containsKey(k)) {
              entry.put(k, v);
            }
          });
    }
    return entry;
  }

  /** The expert's mode as the routing config names it. */
  private static String mode(ExpertPlan plan) {
    return plan.spec().servingMode() == ServingMode.COLOCATED ? "colocated" : "disaggregated";
  }

  /**
   * The name the routing config gives a model file (a gateway reads it from its models directory),
   * or the synthetic model's source.
   */
  private static String fileName(String path) {
    return path.startsWith("synthetic:") ? path : path.substring(path.lastIndexOf('/') + 1);
  }

  private static String fallback(List<ExpertPlan> accepted, Map<String, Object> routes) {
    List<ExpertPlan> byName = new ArrayList<>(accepted);
    byName.sort(Comparator.comparing(ExpertPlan::name));
    for (ExpertPlan plan : byName) {
      Map<String, String> annotations = plan.expert().getMetadata().getAnnotations();
      if (annotations != null && "true".equals(annotations.get(Labels.FALLBACK))) {
        return plan.name();
      }
    }
    Object chat = routes.get("chat");
    return chat != null ? chat.toString() : byName.getFirst().name();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> byName(Object list) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (list instanceof List<?> items) {
      for (Object item : items) {
        Map<String, Object> m = (Map<String, Object>) item;
        out.put(String.valueOf(m.get("name")), m);
      }
    }
    return out;
  }

  /** Whether an Expert is being deleted (its finalizer not yet removed). */
  public static boolean deleting(Expert expert) {
    return expert.getMetadata().getDeletionTimestamp() != null;
  }
}
