package dev.coemesh.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coemesh.testkit.metrics.Observability;
import dev.coemesh.testkit.metrics.PromQl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboards in observability/dashboards are standard dashboard JSON a Grafana can
 * import as is, and every PromQL expression in them and in the alert rules parses.
 */
class DashboardsTest {
  private final Observability files = Observability.ofCheckout();

  @Test
  void theFiveDashboardsExistWithUniqueUids() {
    Set<String> names = new TreeSet<>();
    Set<String> uids = new HashSet<>();
    for (Path file : files.dashboards()) {
      names.add(file.getFileName().toString());
      assertTrue(uids.add(Observability.dashboard(file).path("uid").asText()), file + " uid");
    }
    assertEquals(
        Set.of(
            "overview.json",
            "expert-latency.json",
            "disaggregation.json",
            "tenants.json",
            "routing.json"),
        names);
  }

  @Test
  void everyDashboardHasADatasourceAndAnExpertVariableThatEveryPanelUses() {
    for (Path file : files.dashboards()) {
      JsonNode d = Observability.dashboard(file);
      String name = file.getFileName().toString();
      assertTrue(d.path("schemaVersion").asInt() >= 36, name + " schemaVersion");
      assertFalse(d.path("title").asText().isBlank(), name);
      JsonNode datasource = variable(d, "datasource");
      assertEquals("datasource", datasource.path("type").asText(), name);
      assertEquals("prometheus", datasource.path("query").asText(), name);
      JsonNode expert = variable(d, "expert");
      assertEquals("query", expert.path("type").asText(), name);
      assertEquals("${datasource}", expert.path("datasource").path("uid").asText(), name);
      int panels = 0;
      for (JsonNode panel : d.path("panels")) {
        if ("row".equals(panel.path("type").asText())) {
          continue;
        }
        panels++;
        String title = name + " '" + panel.path("title").asText() + "'";
        assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), title);
        assertFalse(panel.path("targets").isEmpty(), title + " has no query");
        JsonNode pos = panel.path("gridPos");
        assertTrue(pos.path("x").asInt() + pos.path("w").asInt() <= 24, title + " fits the grid");
        for (JsonNode target : panel.path("targets")) {
          assertFalse(target.path("expr").asText().isBlank(), title);
          assertEquals("${datasource}", target.path("datasource").path("uid").asText(), title);
        }
      }
      assertTrue(panels >= 6, name + " has " + panels + " panels");
    }
  }

  /**
   * promtool has no command to parse a lone expression; written as recording rules (template
   * variables replaced by valid PromQL), {@code promtool check rules} parses every one.
   */
  @Test
  void everyExpressionOfTheDashboardsAndRulesParses(@TempDir Path dir) throws Exception {
    Promtool.require();
    List<Observability.Expression> expressions = files.expressions();
    assertTrue(expressions.size() > 60, "expressions found: " + expressions.size());
    StringBuilder rules = new StringBuilder("groups:\n  - name: parse\n    rules:\n");
    for (int i = 0; i < expressions.size(); i++) {
      String expr = PromQl.withoutTemplateVariables(expressions.get(i).promql());
      rules.append("      - record: parsed_").append(i).append("\n        expr: |\n");
      for (String line : expr.strip().split("\n")) {
        rules.append("          ").append(line).append('\n');
      }
    }
    Path file = dir.resolve("expressions.yml");
    Files.writeString(file, rules);
    Promtool.Result r = Promtool.run(dir, "check", "rules", file.toString());
    if (r.exit() != 0) {
      StringBuilder where = new StringBuilder();
      for (int i = 0; i < expressions.size(); i++) {
        where.append("parsed_").append(i).append(": ").append(expressions.get(i).where());
        where.append('\n');
      }
      throw new AssertionError(r.output() + "\n" + where);
    }
  }

  private static JsonNode variable(JsonNode dashboard, String name) {
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (name.equals(v.path("name").asText())) {
        return v;
      }
    }
    throw new AssertionError(dashboard.path("uid").asText() + " has no variable " + name);
  }
}
