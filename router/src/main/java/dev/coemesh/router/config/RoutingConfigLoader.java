package dev.coemesh.router.config;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ServingMode;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads and validates a routing config file. Every error is one {@code CONFIG_INVALID} message
 * naming the file, the line and the field, e.g. {@code routing.yaml:14: experts[1].mode: must be
 * one of colocated, disaggregated}. Unknown keys are errors, so typos do not silently fall back to
 * defaults.
 */
public final class RoutingConfigLoader {
  public static final int MIN_EXAMPLES_PER_CATEGORY = 3;
  private static final Pattern CATEGORY_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final int MAX_FILE_BYTES = 4 << 20;

  /** The routing config shipped with the project, on the class path. */
  public static final String DEFAULT_RESOURCE = "routing/default-routing.yaml";

  /** The engine's default KV block size (positions), used when an expert does not name one. */
  public static final int DEFAULT_KV_BLOCK_SIZE = 16;

  private RoutingConfigLoader() {}

  /** A location prefix naming a class-path resource instead of a file. */
  public static final String CLASSPATH = "classpath:";

  /** The default config shipped as {@link #DEFAULT_RESOURCE}. */
  public static RoutingConfig loadDefault() {
    return loadResource(DEFAULT_RESOURCE);
  }

  /**
   * The config at {@code location}: a file path, {@code classpath:NAME}, or null / blank for the
   * shipped default. Only a file can be watched for changes ({@link #watchable}).
   */
  public static RoutingConfig load(String location) {
    if (location == null || location.isBlank()) {
      return loadDefault();
    }
    return location.startsWith(CLASSPATH)
        ? loadResource(location.substring(CLASSPATH.length()))
        : load(Path.of(location));
  }

  /** The file behind {@code location}, when it names one. */
  public static java.util.Optional<Path> watchable(String location) {
    return location == null || location.isBlank() || location.startsWith(CLASSPATH)
        ? java.util.Optional.empty()
        : java.util.Optional.of(Path.of(location));
  }

  private static RoutingConfig loadResource(String resource) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = RoutingConfigLoader.class.getClassLoader();
    }
    try (var in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new MeshException(ErrorCode.CONFIG_INVALID, resource + ": not on the class path");
      }
      String name = resource.substring(resource.lastIndexOf('/') + 1);
      return parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, resource + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The config's name for an enum constant: lower case with dashes ({@code nearest-centroid}). */
  public static String typeName(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static Set<String> ordered(String... keys) {
    return new LinkedHashSet<>(List.of(keys));
  }

  public static RoutingConfig load(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new MeshException(
            ErrorCode.CONFIG_INVALID, file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      return parse(file.getFileName().toString(), Files.readString(file));
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, file + ": cannot read: " + e.getMessage(), e);
    }
  }

  public static RoutingConfig parse(String fileName, String text) {
    Node root;
    try (Reader reader = new StringReader(text)) {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(10);
      root = new Yaml(options).compose(reader);
    } catch (YAMLException | IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, fileName + ": not valid YAML: " + e.getMessage());
    }
    if (root == null) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, fileName + ": the file is empty");
    }
    return new Parser(fileName).config(root);
  }

  /** Walks the node tree, keeping the file name for messages. */
  private record Parser(String file) {
    MeshException error(Node node, String field, String problem) {
      return new MeshException(
          ErrorCode.CONFIG_INVALID,
          file + ":" + (node.getStartMark().getLine() + 1) + ": " + field + ": " + problem);
    }

    Map<String, Node> mapping(Node node, String field, Set<String> allowed, Set<String> required) {
      if (!(node instanceof MappingNode m)) {
        throw error(node, field, "must be a mapping");
      }
      Map<String, Node> out = new LinkedHashMap<>();
      for (NodeTuple tuple : m.getValue()) {
        String key = scalar(tuple.getKeyNode(), field + " key");
        if (!allowed.contains(key)) {
          throw error(
              tuple.getKeyNode(),
              field.isEmpty() ? key : field + "." + key,
              "unknown key (known: " + String.join(", ", allowed) + ")");
        }
        out.put(key, tuple.getValueNode());
      }
      for (String key : required) {
        if (!out.containsKey(key)) {
          throw error(node, field.isEmpty() ? key : field + "." + key, "is required");
        }
      }
      return out;
    }

    String scalar(Node node, String field) {
      if (!(node instanceof ScalarNode s)) {
        throw error(node, field, "must be a single value");
      }
      return s.getValue();
    }

    String nonBlank(Node node, String field) {
      String v = scalar(node, field);
      if (v.isBlank()) {
        throw error(node, field, "must not be empty");
      }
      return v;
    }

    double number(Node node, String field, double min, double max) {
      String v = scalar(node, field);
      double d;
      try {
        d = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw error(node, field, "must be a number, got '" + v + "'");
      }
      if (!(d >= min && d <= max)) {
        throw error(node, field, "must be in [" + min + ", " + max + "], got " + v);
      }
      return d;
    }

    int integer(Node node, String field, int min, int max) {
      double d = number(node, field, min, max);
      if (d != Math.rint(d)) {
        throw error(node, field, "must be a whole number, got " + scalar(node, field));
      }
      return (int) d;
    }

    boolean bool(Node node, String field) {
      String v = scalar(node, field);
      return switch (v) {
        case "true" -> true;
        case "false" -> false;
        default -> throw error(node, field, "must be true or false, got '" + v + "'");
      };
    }

    <E extends Enum<E>> E enumValue(Node node, String field, Class<E> type) {
      String v = scalar(node, field);
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        if (typeName(e).equals(v)) {
          return e;
        }
        names.add(typeName(e));
      }
      throw error(node, field, "must be one of " + String.join(", ", names) + ", got '" + v + "'");
    }

    List<Node> sequence(Node node, String field) {
      if (!(node instanceof SequenceNode s)) {
        throw error(node, field, "must be a list");
      }
      if (s.getValue().isEmpty()) {
        throw error(node, field, "must not be empty");
      }
      return s.getValue();
    }

    RoutingConfig config(Node root) {
      Map<String, Node> top =
          mapping(
              root,
              "",
              ordered(
                  "version",
                  "categories",
                  "experts",
                  "routes",
                  "fallback_expert",
                  "confidence_threshold",
                  "classifier",
                  "overrides",
                  "filters",
                  "scorers",
                  "picker",
                  "decider",
                  "disaggregate_at_tokens"),
              Set.of("version", "categories", "experts", "routes", "fallback_expert"));
      if (number(top.get("version"), "version", 1, 1) != 1) {
        throw error(top.get("version"), "version", "must be 1");
      }
      List<RoutingConfig.Category> categories = categories(top.get("categories"));
      List<RoutingConfig.Expert> experts = experts(top.get("experts"));
      Set<ExpertId> expertNames = new HashSet<>();
      experts.forEach(e -> expertNames.add(e.name()));
      Map<String, RoutingConfig.Route> routes = routes(top.get("routes"), categories, expertNames);
      ExpertId fallback = expertRef(top.get("fallback_expert"), "fallback_expert", expertNames);
      double threshold =
          top.containsKey("confidence_threshold")
              ? number(top.get("confidence_threshold"), "confidence_threshold", 0, 1)
              : 0.5;
      RoutingConfig.ClassifierSpec classifier =
          top.containsKey("classifier")
              ? classifier(top.get("classifier"))
              : RoutingConfig.ClassifierSpec.DEFAULT;
      RoutingConfig.Overrides overrides =
          top.containsKey("overrides")
              ? overrides(top.get("overrides"))
              : RoutingConfig.Overrides.DEFAULT;
      return new RoutingConfig(
          categories, experts, routes, fallback, threshold, classifier, overrides, pipeline(top));
    }

    RoutingConfig.ClassifierSpec classifier(Node node) {
      Map<String, Node> m = mapping(node, "classifier", ordered("type", "k", "folds"), Set.of());
      RoutingConfig.ClassifierSpec d = RoutingConfig.ClassifierSpec.DEFAULT;
      return new RoutingConfig.ClassifierSpec(
          m.containsKey("type")
              ? enumValue(m.get("type"), "classifier.type", RoutingConfig.ClassifierType.class)
              : d.type(),
          m.containsKey("k") ? integer(m.get("k"), "classifier.k", 1, 100) : d.k(),
          m.containsKey("folds") ? integer(m.get("folds"), "classifier.folds", 2, 20) : d.folds());
    }

    RoutingConfig.Overrides overrides(Node node) {
      Map<String, Node> m =
          mapping(
              node,
              "overrides",
              ordered("explicit_model", "category_hint", "auto_model"),
              Set.of());
      RoutingConfig.Overrides d = RoutingConfig.Overrides.DEFAULT;
      return new RoutingConfig.Overrides(
          m.containsKey("explicit_model")
              ? bool(m.get("explicit_model"), "overrides.explicit_model")
              : d.explicitModel(),
          m.containsKey("category_hint")
              ? bool(m.get("category_hint"), "overrides.category_hint")
              : d.categoryHint(),
          m.containsKey("auto_model")
              ? nonBlank(m.get("auto_model"), "overrides.auto_model")
              : d.autoModel());
    }

    RoutingConfig.Pipeline pipeline(Map<String, Node> top) {
      List<RoutingConfig.FilterType> filters =
          new ArrayList<>(List.of(RoutingConfig.FilterType.values()));
      if (top.containsKey("filters")) {
        filters.clear();
        Node node = top.get("filters");
        List<Node> items = sequence(node, "filters");
        for (int i = 0; i < items.size(); i++) {
          RoutingConfig.FilterType f =
              enumValue(items.get(i), "filters[" + i + "]", RoutingConfig.FilterType.class);
          if (filters.contains(f)) {
            throw error(
                items.get(i), "filters[" + i + "]", "duplicate filter '" + typeName(f) + "'");
          }
          filters.add(f);
        }
      }
      Map<RoutingConfig.ScorerType, Double> weights = new EnumMap<>(RoutingConfig.ScorerType.class);
      weights.put(RoutingConfig.ScorerType.LOAD, 1.0);
      weights.put(RoutingConfig.ScorerType.KV_UTILISATION, 1.0);
      weights.put(RoutingConfig.ScorerType.PREFIX_AFFINITY, 2.0);
      weights.put(RoutingConfig.ScorerType.SESSION_AFFINITY, 1.0);
      if (top.containsKey("scorers")) {
        Set<String> known = new java.util.LinkedHashSet<>();
        for (RoutingConfig.ScorerType t : RoutingConfig.ScorerType.values()) {
          known.add(t.key());
        }
        for (Map.Entry<String, Node> e :
            mapping(top.get("scorers"), "scorers", known, Set.of()).entrySet()) {
          for (RoutingConfig.ScorerType t : RoutingConfig.ScorerType.values()) {
            if (t.key().equals(e.getKey())) {
              weights.put(t, number(e.getValue(), "scorers." + e.getKey(), 0, 1000));
            }
          }
        }
      }
      RoutingConfig.PickerType picker =
          top.containsKey("picker")
              ? enumValue(top.get("picker"), "picker", RoutingConfig.PickerType.class)
              : RoutingConfig.PickerType.MAX_SCORE;
      RoutingConfig.DeciderType decider =
          top.containsKey("decider")
              ? enumValue(top.get("decider"), "decider", RoutingConfig.DeciderType.class)
              : RoutingConfig.DeciderType.UNCACHED_PROMPT;
      int disaggregateAt =
          top.containsKey("disaggregate_at_tokens")
              ? integer(top.get("disaggregate_at_tokens"), "disaggregate_at_tokens", 1, 1_000_000)
              : 256;
      return new RoutingConfig.Pipeline(filters, weights, picker, decider, disaggregateAt);
    }

    List<RoutingConfig.Category> categories(Node node) {
      List<RoutingConfig.Category> out = new ArrayList<>();
      Set<String> names = new HashSet<>();
      List<Node> items = sequence(node, "categories");
      for (int i = 0; i < items.size(); i++) {
        String field = "categories[" + i + "]";
        Map<String, Node> m =
            mapping(
                items.get(i),
                field,
                ordered("name", "description", "examples", "strong_examples"),
                Set.of("name", "examples"));
        String name = nonBlank(m.get("name"), field + ".name");
        if (!CATEGORY_NAME.matcher(name).matches()) {
          throw error(m.get("name"), field + ".name", "must match " + CATEGORY_NAME.pattern());
        }
        if (!names.add(name)) {
          throw error(m.get("name"), field + ".name", "duplicate category '" + name + "'");
        }
        List<String> examples = prompts(m.get("examples"), field + ".examples");
        if (examples.size() < MIN_EXAMPLES_PER_CATEGORY) {
          throw error(
              m.get("examples"),
              field + ".examples",
              "needs at least "
                  + MIN_EXAMPLES_PER_CATEGORY
                  + " examples to train on, has "
                  + examples.size());
        }
        String description =
            m.containsKey("description")
                ? scalar(m.get("description"), field + ".description")
                : "";
        List<String> strong =
            m.containsKey("strong_examples")
                ? prompts(m.get("strong_examples"), field + ".strong_examples")
                : List.of();
        out.add(new RoutingConfig.Category(name, description, examples, strong));
      }
      return out;
    }

    List<String> prompts(Node node, String field) {
      List<String> out = new ArrayList<>();
      List<Node> items = sequence(node, field);
      for (int j = 0; j < items.size(); j++) {
        out.add(nonBlank(items.get(j), field + "[" + j + "]"));
      }
      return out;
    }

    List<RoutingConfig.Expert> experts(Node node) {
      List<RoutingConfig.Expert> out = new ArrayList<>();
      Set<ExpertId> names = new HashSet<>();
      List<Node> items = sequence(node, "experts");
      for (int i = 0; i < items.size(); i++) {
        String field = "experts[" + i + "]";
        Map<String, Node> m =
            mapping(
                items.get(i),
                field,
                ordered(
                    "name",
                    "source",
                    "mode",
                    "cost_per_1k_tokens",
                    "context_length",
                    "kv_block_size",
                    "prefix_cache"),
                Set.of("name", "source"));
        ExpertId name;
        try {
          name = new ExpertId(nonBlank(m.get("name"), field + ".name"));
        } catch (IllegalArgumentException e) {
          throw error(m.get("name"), field + ".name", e.getMessage());
        }
        if (!names.add(name)) {
          throw error(m.get("name"), field + ".name", "duplicate expert '" + name + "'");
        }
        ServingMode mode = ServingMode.COLOCATED;
        if (m.containsKey("mode")) {
          String v = scalar(m.get("mode"), field + ".mode");
          try {
            mode = ServingMode.valueOf(v.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw error(
                m.get("mode"),
                field + ".mode",
                "must be one of colocated, disaggregated, got '" + v + "'");
          }
        }
        double cost =
            m.containsKey("cost_per_1k_tokens")
                ? number(m.get("cost_per_1k_tokens"), field + ".cost_per_1k_tokens", 0, 1e6)
                : 0;
        int context =
            m.containsKey("context_length")
                ? integer(m.get("context_length"), field + ".context_length", 1, 10_000_000)
                : 0;
        int blockSize =
            m.containsKey("kv_block_size")
                ? integer(m.get("kv_block_size"), field + ".kv_block_size", 1, 4096)
                : DEFAULT_KV_BLOCK_SIZE;
        RoutingConfig.PrefixCache prefixCache = RoutingConfig.PrefixCache.TENANT;
        if (m.containsKey("prefix_cache")) {
          String v = scalar(m.get("prefix_cache"), field + ".prefix_cache");
          try {
            prefixCache = RoutingConfig.PrefixCache.valueOf(v.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw error(
                m.get("prefix_cache"),
                field + ".prefix_cache",
                "must be one of tenant, shared, got '" + v + "'");
          }
        }
        RoutingConfig.ModelSource source = source(m.get("source"), field + ".source");
        if (source instanceof RoutingConfig.ModelSource.Upstream && context == 0) {
          // an embedded model states its context in its file; a remote one cannot be asked
          throw error(
              items.get(i), field + ".context_length", "is required for an upstream source");
        }
        out.add(
            new RoutingConfig.Expert(name, source, mode, cost, context, blockSize, prefixCache));
      }
      return out;
    }

    RoutingConfig.ModelSource source(Node node, String field) {
      Map<String, Node> m =
          mapping(
              node,
              field,
              ordered("type", "model", "tokenizer", "url", "api_key_env", "max_concurrent"),
              Set.of("type", "model"));
      String type = scalar(m.get("type"), field + ".type");
      return switch (type) {
        case "embedded" -> {
          for (String upstreamOnly : List.of("url", "api_key_env", "max_concurrent")) {
            if (m.containsKey(upstreamOnly)) {
              throw error(
                  m.get(upstreamOnly),
                  field + "." + upstreamOnly,
                  "only an upstream source has " + upstreamOnly);
            }
          }
          yield new RoutingConfig.ModelSource.Embedded(
              nonBlank(m.get("model"), field + ".model"),
              m.containsKey("tokenizer")
                  ? nonBlank(m.get("tokenizer"), field + ".tokenizer")
                  : null);
        }
        case "upstream" -> {
          if (!m.containsKey("url")) {
            throw error(node, field + ".url", "is required for an upstream source");
          }
          String url = scalar(m.get("url"), field + ".url");
          URI uri;
          try {
            uri = URI.create(url);
          } catch (IllegalArgumentException e) {
            throw error(m.get("url"), field + ".url", "is not a URL: " + url);
          }
          if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
              || uri.getHost() == null) {
            throw error(
                m.get("url"), field + ".url", "must be an http(s) URL with a host, got " + url);
          }
          String keyEnv = null;
          if (m.containsKey("api_key_env")) {
            keyEnv = nonBlank(m.get("api_key_env"), field + ".api_key_env");
            if (!keyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
              throw error(
                  m.get("api_key_env"),
                  field + ".api_key_env",
                  "must name an environment variable (letters, digits, _), got '" + keyEnv + "'");
            }
          }
          int maxConcurrent =
              m.containsKey("max_concurrent")
                  ? integer(m.get("max_concurrent"), field + ".max_concurrent", 1, 100_000)
                  : RoutingConfig.ModelSource.Upstream.DEFAULT_MAX_CONCURRENT;
          yield new RoutingConfig.ModelSource.Upstream(
              uri, nonBlank(m.get("model"), field + ".model"), keyEnv, maxConcurrent);
        }
        default ->
            throw error(
                m.get("type"), field + ".type", "must be embedded or upstream, got '" + type + "'");
      };
    }

    Map<String, RoutingConfig.Route> routes(
        Node node, List<RoutingConfig.Category> categories, Set<ExpertId> experts) {
      Set<String> categoryNames = new LinkedHashSet<>();
      categories.forEach(c -> categoryNames.add(c.name()));
      Map<String, Node> m = mapping(node, "routes", categoryNames, Set.of());
      Map<String, RoutingConfig.Route> out = new HashMap<>();
      for (Map.Entry<String, Node> e : m.entrySet()) {
        String field = "routes." + e.getKey();
        if (e.getValue() instanceof ScalarNode) {
          out.put(
              e.getKey(), new RoutingConfig.Route.Single(expertRef(e.getValue(), field, experts)));
          continue;
        }
        Map<String, Node> pair =
            mapping(
                e.getValue(),
                field,
                ordered("strong", "weak", "strong_fraction"),
                Set.of("strong", "weak", "strong_fraction"));
        ExpertId strong = expertRef(pair.get("strong"), field + ".strong", experts);
        ExpertId weak = expertRef(pair.get("weak"), field + ".weak", experts);
        if (strong.equals(weak)) {
          throw error(pair.get("weak"), field + ".weak", "must differ from the strong expert");
        }
        double fraction = number(pair.get("strong_fraction"), field + ".strong_fraction", 0, 1);
        for (RoutingConfig.Category c : categories) {
          if (c.name().equals(e.getKey())
              && c.strongExamples().size() < MIN_EXAMPLES_PER_CATEGORY) {
            throw error(
                e.getValue(),
                field,
                "a strong/weak route needs at least "
                    + MIN_EXAMPLES_PER_CATEGORY
                    + " strong_examples in category '"
                    + c.name()
                    + "' to estimate win rates, has "
                    + c.strongExamples().size());
          }
        }
        out.put(e.getKey(), new RoutingConfig.Route.StrongWeak(strong, weak, fraction));
      }
      for (RoutingConfig.Category c : categories) {
        if (!out.containsKey(c.name())) {
          throw error(node, "routes." + c.name(), "category '" + c.name() + "' has no expert");
        }
      }
      return out;
    }

    ExpertId expertRef(Node node, String field, Set<ExpertId> experts) {
      String name = scalar(node, field);
      ExpertId id;
      try {
        id = new ExpertId(name);
      } catch (IllegalArgumentException e) {
        throw error(node, field, e.getMessage());
      }
      if (!experts.contains(id)) {
        throw error(node, field, "unknown expert '" + name + "'");
      }
      return id;
    }
  }
}
