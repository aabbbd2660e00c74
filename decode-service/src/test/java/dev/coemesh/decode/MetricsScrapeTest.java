package dev.coemesh.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The decode service's {@code /q/metrics}, scraped over HTTP: every worker metric
 * observability/METRICS.md lists, tagged with the configured expert and the decode role.
 */
@QuarkusTest
class MetricsScrapeTest {
  @TestHTTPResource("/q/metrics")
  URI metrics;

  @Test
  void everyDocumentedWorkerMetricIsExportedWithItsExpertAndRole() throws Exception {
    Scrape scrape = Scrape.of(metrics);
    Set<String> documented = MetricsCatalog.ofCheckout().namesOf("worker");
    assertFalse(documented.isEmpty());
    assertEquals(Set.of(), scrape.missing(documented), "documented but not exported");
    assertEquals(
        1,
        scrape
            .text()
            .lines()
            .filter(l -> l.startsWith("mesh_worker_num_requests_running{"))
            .filter(l -> l.contains("expert=\"stories\"") && l.contains("role=\"decode\""))
            .count(),
        scrape.text());
  }
}
