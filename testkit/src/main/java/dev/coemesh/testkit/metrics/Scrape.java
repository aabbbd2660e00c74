package dev.coemesh.testkit.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One Prometheus scrape of an app's {@code /q/metrics} over HTTP, and the metric names in it: the
 * names of its samples ({@code foo_bucket}, {@code foo_count}, {@code foo_total}...) and, for the
 * series of a histogram or summary, the family name they share ({@code foo}).
 */
public record Scrape(String text, Set<String> names) {
  private static final List<String> SERIES_SUFFIXES =
      List.of("_bucket", "_count", "_sum", "_max", "_created");

  /** GETs {@code url}; fails unless it answers 200 with Prometheus text. */
  public static Scrape of(URI url) throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(20)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(url + " answered " + response.statusCode());
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (!type.startsWith("text/plain") && !type.startsWith("application/openmetrics-text")) {
        throw new IllegalStateException(url + " answered " + type + ", not Prometheus text");
      }
      return parse(response.body());
    }
  }

  /** The metric names in a Prometheus text exposition. */
  public static Scrape parse(String text) {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      String name = line.substring(0, end);
      names.add(name);
      for (String suffix : SERIES_SUFFIXES) {
        if (name.endsWith(suffix)) {
          names.add(name.substring(0, name.length() - suffix.length()));
        }
      }
    }
    return new Scrape(text, names);
  }

  /**
   * The sum of the samples named {@code name} whose labels include every one of {@code labels}
   * (each written as in the exposition, {@code key="value"}); 0 when none does.
   */
  public double sum(String name, String... labels) {
    double sum = 0;
    for (String sample : text.split("\n")) {
      if (!sample.startsWith(name + "{") && !sample.startsWith(name + " ")) {
        continue;
      }
      // an exemplar (the trace of one observation, with tracing on) follows " # "
      int exemplar = sample.indexOf(" # ");
      String line = exemplar < 0 ? sample : sample.substring(0, exemplar);
      int close = line.lastIndexOf('}');
      String labelText = close < 0 ? "" : line.substring(name.length(), close + 1);
      boolean all = true;
      for (String label : labels) {
        all &=
            labelText.contains("{" + label + ",")
                || labelText.contains("," + label + ",")
                || labelText.contains("{" + label + "}")
                || labelText.contains("," + label + "}");
      }
      if (all) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Those of {@code expected} that this scrape does not export. */
  public Set<String> missing(Collection<String> expected) {
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(names);
    return missing;
  }
}
