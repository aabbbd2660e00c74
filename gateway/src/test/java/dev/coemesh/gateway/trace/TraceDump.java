package dev.coemesh.gateway.trace;

import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/** A recorded trace as an indented tree, one span a line, for people to read (target/trace/). */
final class TraceDump {
  private TraceDump() {}

  static void write(List<SpanData> spans, Path file) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, render(spans));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String render(List<SpanData> spans) {
    StringBuilder out = new StringBuilder();
    long origin = spans.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
    spans.stream()
        .filter(s -> spans.stream().noneMatch(p -> p.getSpanId().equals(s.getParentSpanId())))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(root -> render(spans, root, 0, origin, out));
    return out.toString();
  }

  private static void render(
      List<SpanData> spans, SpanData span, int depth, long origin, StringBuilder out) {
    out.append("  ".repeat(depth))
        .append(span.getName())
        .append(" [")
        .append(span.getKind().name().toLowerCase(java.util.Locale.ROOT))
        .append(
            String.format(
                " +%.1f ms, %.1f ms",
                ms(span.getStartEpochNanos() - origin),
                ms(span.getEndEpochNanos() - span.getStartEpochNanos())))
        .append(", ")
        .append(span.getStatus().getStatusCode())
        .append("] trace=")
        .append(span.getTraceId(), 0, 8)
        .append(' ')
        .append(span.getAttributes().asMap())
        .append('\n');
    for (EventData event : span.getEvents()) {
      out.append("  ".repeat(depth + 1))
          .append("* ")
          .append(event.getName())
          .append(String.format(" +%.1f ms ", ms(event.getEpochNanos() - origin)))
          .append(event.getAttributes().asMap())
          .append('\n');
    }
    spans.stream()
        .filter(s -> s.getParentSpanId().equals(span.getSpanId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(child -> render(spans, child, depth + 1, origin, out));
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
