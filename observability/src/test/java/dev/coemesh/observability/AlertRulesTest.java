package dev.coemesh.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.testkit.metrics.Observability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Prometheus alert rules in observability/alerts: valid ({@code promtool check rules}), their
 * unit tests pass ({@code promtool test rules}), each alert is tested firing and quiet, and each
 * points at its own section of the runbook.
 */
class AlertRulesTest {
  private final Observability files = Observability.ofCheckout();

  @Test
  void promtoolAcceptsEveryRuleFile() throws Exception {
    assertFalse(files.ruleFiles().isEmpty());
    for (Path file : files.ruleFiles()) {
      Promtool.Result r = Promtool.run(file.getParent(), "check", "rules", file.toString());
      assertEquals(0, r.exit(), r.output());
    }
  }

  @Test
  void theRuleUnitTestsPass() throws Exception {
    assertFalse(files.ruleTests().isEmpty());
    for (Path file : files.ruleTests()) {
      Promtool.Result r =
          Promtool.run(file.getParent(), "test", "rules", file.getFileName().toString());
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("SUCCESS"), r.output());
    }
  }

  @Test
  void everyAlertIsTestedFiringAndQuiet() throws IOException {
    Set<String> fired = new HashSet<>();
    Set<String> quiet = new HashSet<>();
    for (Path file : files.ruleTests()) {
      for (Map<String, Object> alertTest : alertTests(file)) {
        String name = (String) alertTest.get("alertname");
        List<?> expected = (List<?>) alertTest.get("exp_alerts");
        (expected == null || expected.isEmpty() ? quiet : fired).add(name);
      }
    }
    // exp_alerts lists every alert that fires, so a firing case also shows the other experts
    // quiet; the explicit empty case shows it quiet before the condition held long enough
    for (String alert : alerts()) {
      assertTrue(fired.contains(alert), alert + " has no firing test case");
      assertTrue(quiet.contains(alert), alert + " has no case where it stays quiet");
    }
  }

  @Test
  void everyAlertHasASeverityASummaryAndItsRunbookSection() throws IOException {
    Set<String> anchors = new TreeSet<>();
    for (String line : Files.readAllLines(files.root().resolve("RUNBOOK.md"))) {
      if (line.startsWith("## ")) {
        anchors.add(line.substring(3).strip().toLowerCase(Locale.ROOT).replace(' ', '-'));
      }
    }
    for (Path file : files.ruleFiles()) {
      for (Map<String, Object> rule : Observability.rules(file)) {
        if (!rule.containsKey("alert")) {
          continue;
        }
        String alert = (String) rule.get("alert");
        @SuppressWarnings("unchecked")
        Map<String, String> labels = (Map<String, String>) rule.get("labels");
        @SuppressWarnings("unchecked")
        Map<String, String> annotations = (Map<String, String>) rule.get("annotations");
        assertTrue(Set.of("page", "ticket").contains(labels.get("severity")), alert);
        assertFalse(annotations.getOrDefault("summary", "").isBlank(), alert);
        String url = annotations.get("runbook_url");
        String anchor = alert.toLowerCase(Locale.ROOT);
        assertEquals("observability/RUNBOOK.md#" + anchor, url, alert);
        assertTrue(anchors.contains(anchor), "RUNBOOK.md has no section '## " + alert + "'");
      }
    }
  }

  private List<String> alerts() {
    return files.ruleFiles().stream()
        .flatMap(f -> Observability.rules(f).stream())
        .filter(r -> r.containsKey("alert"))
        .map(r -> (String) r.get("alert"))
        .toList();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> tests(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      Map<String, Object> doc = new Yaml().load(in);
      return (List<Map<String, Object>>) doc.get("tests");
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> alertTests(Path file) throws IOException {
    return tests(file).stream()
        .flatMap(t -> ((List<Map<String, Object>>) t.get("alert_rule_test")).stream())
        .toList();
  }
}
