package dev.coemesh.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.testkit.metrics.PromQl;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PromQlTest {
  static Stream<Arguments> expressions() {
    return Stream.of(
        Arguments.of("up", Set.of("up")),
        Arguments.of(
            "sum by (expert, le) (rate(foo_bucket{expert=~\"$expert\",le=\"0.5\"}[$__rate_interval]))",
            Set.of("foo_bucket")),
        Arguments.of(
            "histogram_quantile(0.5, sum by (category, le) (rate(a_bucket[30m])))"
                + " < 0.8 * histogram_quantile(0.5, sum by (le) (rate(a_bucket[1d])))"
                + " and sum by (category) (rate(a_count[30m])) > 0.05",
            Set.of("a_bucket", "a_count")),
        Arguments.of(
            "sum(x_total) / ignoring (tenant) group_left sum(y_total offset 1h) > bool 1e3",
            Set.of("x_total", "y_total")),
        Arguments.of(
            "mesh:slo_miss_ratio:rate1h{phase=\"ttft\"} > (14.4 * 0.01)",
            Set.of("mesh:slo_miss_ratio:rate1h")),
        Arguments.of("max without (instance) (g) unless on (expert) h", Set.of("g", "h")),
        Arguments.of("label_replace(vector(1), \"sum\", \"rate\", \"\", \"\")", Set.of()));
  }

  @ParameterizedTest
  @MethodSource("expressions")
  void readsTheMetricNamesOfAnExpression(String expr, Set<String> names) {
    assertEquals(names, PromQl.metricNames(expr));
  }
}
