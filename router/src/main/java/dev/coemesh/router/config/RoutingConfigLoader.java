package dev.coemesh.router.config;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ServingMode;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
  public static final Set<String> SCORERS =
      Set.of("queue", "kv-utilisation", "prefix-affinity", "session-affinity");
  private static final Pattern CATEGORY_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final int MAX_FILE_BYTES = 4 << 20;

  private RoutingConfigLoader() {}

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
              Set.of(
                  "version",
                  "categories",
                  "experts",
                  "routes",
                  "fallback_expert",
                  "confidence_threshold",
                  "scorers",
                  "disaggregate_at_tokens"),
              Set.of("version", "categories", "experts", "routes", "fallback_expert"));
      if (number(top.get("version"), "version", 1, 1) != 1) {
        throw error(top.get("version"), "version", "must be 1");
      }
      List<RoutingConfig.Category> categories = categories(top.get("categories"));
      List<RoutingConfig.Expert> experts = experts(top.get("experts"));
      Set<ExpertId> expertNames = new HashSet<>();
      experts.forEach(e -> expertNames.add(e.name()));
      Map<String, ExpertId> routes = routes(top.get("routes"), categories, expertNames);
      ExpertId fallback = expertRef(top.get("fallback_expert"), "fallback_expert", expertNames);
      double threshold =
          top.containsKey("confidence_threshold")
              ? number(top.get("confidence_threshold"), "confidence_threshold", 0, 1)
              : 0.5;
      Map<String, Double> weights =
          new HashMap<>(
              Map.of(
                  "queue",
                  1.0,
                  "kv-utilisation",
                  1.0,
                  "prefix-affinity",
                  2.0,
                  "session-affinity",
                  1.0));
      if (top.containsKey("scorers")) {
        for (Map.Entry<String, Node> e :
            mapping(top.get("scorers"), "scorers", SCORERS, Set.of()).entrySet()) {
          weights.put(e.getKey(), number(e.getValue(), "scorers." + e.getKey(), 0, 1000));
        }
      }
      int disaggregateAt =
          top.containsKey("disaggregate_at_tokens")
              ? (int)
                  number(top.get("disaggregate_at_tokens"), "disaggregate_at_tokens", 1, 1_000_000)
              : 256;
      return new RoutingConfig(
          categories, experts, routes, fallback, threshold, weights, disaggregateAt);
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
                Set.of("name", "description", "examples"),
                Set.of("name", "examples"));
        String name = nonBlank(m.get("name"), field + ".name");
        if (!CATEGORY_NAME.matcher(name).matches()) {
          throw error(m.get("name"), field + ".name", "must match " + CATEGORY_NAME.pattern());
        }
        if (!names.add(name)) {
          throw error(m.get("name"), field + ".name", "duplicate category '" + name + "'");
        }
        List<String> examples = new ArrayList<>();
        List<Node> exampleNodes = sequence(m.get("examples"), field + ".examples");
        for (int j = 0; j < exampleNodes.size(); j++) {
          examples.add(nonBlank(exampleNodes.get(j), field + ".examples[" + j + "]"));
        }
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
        out.add(new RoutingConfig.Category(name, description, examples));
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
                Set.of("name", "source", "mode", "cost_per_1k_tokens", "context_length"),
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
                ? (int) number(m.get("context_length"), field + ".context_length", 1, 10_000_000)
                : 0;
        out.add(
            new RoutingConfig.Expert(
                name, source(m.get("source"), field + ".source"), mode, cost, context));
      }
      return out;
    }

    RoutingConfig.ModelSource source(Node node, String field) {
      Map<String, Node> m =
          mapping(
              node, field, Set.of("type", "model", "tokenizer", "url"), Set.of("type", "model"));
      String type = scalar(m.get("type"), field + ".type");
      return switch (type) {
        case "embedded" -> {
          if (m.containsKey("url")) {
            throw error(m.get("url"), field + ".url", "only an upstream source has a url");
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
          yield new RoutingConfig.ModelSource.Upstream(
              uri, nonBlank(m.get("model"), field + ".model"));
        }
        default ->
            throw error(
                m.get("type"), field + ".type", "must be embedded or upstream, got '" + type + "'");
      };
    }

    Map<String, ExpertId> routes(
        Node node, List<RoutingConfig.Category> categories, Set<ExpertId> experts) {
      Set<String> categoryNames = new HashSet<>();
      categories.forEach(c -> categoryNames.add(c.name()));
      Map<String, Node> m = mapping(node, "routes", categoryNames, Set.of());
      Map<String, ExpertId> out = new HashMap<>();
      for (Map.Entry<String, Node> e : m.entrySet()) {
        out.put(e.getKey(), expertRef(e.getValue(), "routes." + e.getKey(), experts));
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
