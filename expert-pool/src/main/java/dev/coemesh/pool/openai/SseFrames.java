package dev.coemesh.pool.openai;

import java.nio.charset.StandardCharsets;

/**
 * Server-sent event framing as OpenAI sends it: one {@code data: <json>} line per event followed by
 * a blank line, and {@code data: [DONE]} at the end. JSON never contains a raw newline (Jackson
 * escapes them inside strings), so one {@code data:} line always holds the whole event.
 */
public final class SseFrames {
  /** The terminal event of every OpenAI stream. */
  public static final String DONE = "data: [DONE]\n\n";

  private SseFrames() {}

  public static String data(String json) {
    if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("an SSE data line must not contain a line break");
    }
    return "data: " + json + "\n\n";
  }

  public static byte[] bytes(String frame) {
    return frame.getBytes(StandardCharsets.UTF_8);
  }
}
