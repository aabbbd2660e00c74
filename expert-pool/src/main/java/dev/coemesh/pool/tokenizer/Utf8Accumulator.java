package dev.coemesh.pool.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Joins token bytes into text for streaming: returns only whole UTF-8 characters and keeps an
 * incomplete trailing sequence (at most 3 bytes) until the next token completes it.
 */
public final class Utf8Accumulator {
  private byte[] pending = new byte[0];

  /** The complete characters now available. */
  public String append(byte[] bytes) {
    byte[] all = pending.length == 0 ? bytes : concat(pending, bytes);
    int complete = completePrefix(all);
    pending = Arrays.copyOfRange(all, complete, all.length);
    return new String(all, 0, complete, StandardCharsets.UTF_8);
  }

  /** Whether bytes of an incomplete character are held. */
  public boolean holding() {
    return pending.length > 0;
  }

  /** Whatever is left, with invalid bytes replaced (end of stream). */
  public String flush() {
    String rest = new String(pending, StandardCharsets.UTF_8);
    pending = new byte[0];
    return rest;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Length of the prefix that does not end inside a multi-byte sequence. */
  private static int completePrefix(byte[] bytes) {
    int n = bytes.length;
    for (int back = 1; back <= Math.min(3, n); back++) {
      int b = bytes[n - back] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // continuation byte: look further back for the lead byte
      }
      int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      return needed > back ? n - back : n;
    }
    return n;
  }
}
