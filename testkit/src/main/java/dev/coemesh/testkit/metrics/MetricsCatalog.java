package dev.coemesh.testkit.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The metric catalogue, observability/METRICS.md, read as tests need it: the Prometheus name of
 * every row of its tables and the apps that export it, so that a scrape test checks what the
 * documentation promises and the two cannot drift apart.
 *
 * <p>A catalogue row is a Markdown table row whose first cell is a back-quoted Prometheus name and
 * whose fourth cell lists the apps, comma-separated ({@code gateway}, {@code gateway+kafka}, {@code
 * worker}, {@code router-service}).
 */
public final class MetricsCatalog {
  /** One documented metric. */
  public record Entry(String name, String type, Set<String> apps) {}

  private final List<Entry> entries;

  private MetricsCatalog(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * The catalogue in a checkout, found from a module's directory (the tests' working directory).
   */
  public static MetricsCatalog ofCheckout() {
    Path here = Path.of("").toAbsolutePath();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path file = dir.resolve("observability").resolve("METRICS.md");
      if (Files.isRegularFile(file)) {
        return read(file);
      }
    }
    throw new IllegalStateException("no observability/METRICS.md above " + here);
  }

  public static MetricsCatalog read(Path file) {
    List<Entry> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        if (!line.startsWith("| `")) {
          continue;
        }
        String[] cells = line.split("\\|");
        // cells[0] is the empty text before the first bar
        if (cells.length < 5) {
          throw new IllegalStateException("a catalogue row needs 5 cells: " + line);
        }
        String name = cells[1].strip().replace("`", "");
        Set<String> apps = new TreeSet<>();
        for (String app : cells[4].split(",")) {
          apps.add(app.strip().replace("`", ""));
        }
        out.add(new Entry(name, cells[2].strip(), apps));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(file + " documents no metric");
    }
    return new MetricsCatalog(out);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** The Prometheus names documented as exported by any of {@code apps}. */
  public Set<String> namesOf(String... apps) {
    Set<String> names = new TreeSet<>();
    for (Entry e : entries) {
      for (String app : apps) {
        if (e.apps().contains(app)) {
          names.add(e.name());
        }
      }
    }
    return names;
  }
}
