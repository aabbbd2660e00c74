package dev.coemesh.testkit.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * The observability folder of a checkout, read as tests need it: the Grafana dashboards ({@code
 * dashboards/*.json}), the Prometheus rule files ({@code alerts/*.yml}, their promtool tests being
 * {@code *-test.yml}) and every PromQL expression in them.
 */
public final class Observability {
  /** One PromQL expression and where it is (file and panel title or rule name). */
  public record Expression(String where, String promql) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\(\\s*([^,()]+?)\\s*,\\s*\\w+\\s*\\)");

  private final Path root;

  public Observability(Path root) {
    this.root = root;
  }

  /**
   * The folder in this checkout: the system property {@code mesh.observability.dir}, else the first
   * {@code observability} folder above the working directory.
   */
  public static Observability ofCheckout() {
    String configured = System.getProperty("mesh.observability.dir");
    if (configured != null && !configured.isBlank()) {
      return new Observability(Path.of(configured));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("observability");
      if (Files.isDirectory(candidate.resolve("dashboards"))) {
        return new Observability(candidate);
      }
    }
    throw new IllegalStateException(
        "no observability folder above " + Path.of("").toAbsolutePath());
  }

  public Path root() {
    return root;
  }

  public List<Path> dashboards() {
    return list(root.resolve("dashboards"), ".json", null);
  }

  /** Rule files, without their promtool tests. */
  public List<Path> ruleFiles() {
    return list(root.resolve("alerts"), ".yml", "-test.yml");
  }

  /** promtool test files. */
  public List<Path> ruleTests() {
    return list(root.resolve("alerts"), "-test.yml", null);
  }

  public static JsonNode dashboard(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(file + " is not JSON: " + e.getMessage(), e);
    }
  }

  /**
   * The rules of a rule file, each a map as written ({@code alert} or {@code record}, {@code
   * expr}...).
   */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> rules(Path file) {
    Map<String, Object> doc;
    try (InputStream in = Files.newInputStream(file)) {
      doc = new Yaml().load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
      out.addAll((List<Map<String, Object>>) group.get("rules"));
    }
    return out;
  }

  /** Every PromQL expression of the dashboards (panel targets, variable queries) and rules. */
  public List<Expression> expressions() {
    List<Expression> out = new ArrayList<>();
    for (Path file : dashboards()) {
      JsonNode d = dashboard(file);
      panels(file.getFileName().toString(), d.path("panels"), out);
      for (JsonNode variable : d.path("templating").path("list")) {
        String query =
            variable.path("query").isTextual()
                ? variable.path("query").asText()
                : variable.path("query").path("query").asText("");
        Matcher m = LABEL_VALUES.matcher(query);
        if ("query".equals(variable.path("type").asText()) && m.find()) {
          out.add(
              new Expression(
                  file.getFileName() + " variable " + variable.path("name").asText(), m.group(1)));
        }
      }
    }
    for (Path file : ruleFiles()) {
      for (Map<String, Object> rule : rules(file)) {
        String name = String.valueOf(rule.getOrDefault("alert", rule.get("record")));
        out.add(new Expression(file.getFileName() + " " + name, String.valueOf(rule.get("expr"))));
      }
    }
    return out;
  }

  /** The series names the rule files record (never scraped: Prometheus computes them). */
  public Set<String> recordedNames() {
    Set<String> names = new TreeSet<>();
    for (Path file : ruleFiles()) {
      for (Map<String, Object> rule : rules(file)) {
        if (rule.containsKey("record")) {
          names.add(String.valueOf(rule.get("record")));
        }
      }
    }
    return names;
  }

  private static void panels(String file, JsonNode panels, List<Expression> out) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.add(
              new Expression(
                  file + " panel '" + panel.path("title").asText() + "'",
                  target.get("expr").asText()));
        }
      }
      panels(file, panel.path("panels"), out); // a collapsed row holds its panels
    }
  }

  private static List<Path> list(Path dir, String suffix, String except) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(p -> except == null || !p.getFileName().toString().endsWith(except))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
