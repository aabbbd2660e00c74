package dev.coemesh.pool.upstream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads the {@code data} of server-sent events, one event at a time: {@code data:} lines are joined
 * with newlines, a blank line ends the event, comments ({@code :...}) and other fields ({@code
 * event:}, {@code id:}, {@code retry:}) are skipped. Not thread-safe.
 */
final class SseReader {
  /** Longest event accepted: an OpenAI chunk is a few hundred bytes. */
  static final int MAX_EVENT_CHARS = 1 << 20;

  private final BufferedReader in;

  SseReader(InputStream body) {
    this.in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
  }

  /** The next event's data, or null at the end of the stream. */
  String next() throws IOException {
    StringBuilder data = null;
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) {
        if (data != null) {
          return data.toString();
        }
        continue;
      }
      if (!line.startsWith("data:")) {
        continue;
      }
      String value =
          line.length() > 5 && line.charAt(5) == ' ' ? line.substring(6) : line.substring(5);
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
      if (data.length() > MAX_EVENT_CHARS) {
        throw new IOException("server-sent event longer than " + MAX_EVENT_CHARS + " characters");
      }
    }
    return data == null ? null : data.toString(); // a last event without its blank line
  }
}
