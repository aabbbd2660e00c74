package dev.coemesh.pool.sampler;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could still be the start of a stop string is held
 * back, so a client never receives part of a stop string; on a match, the text before it is
 * released and generation stops.
 */
public final class StopMatcher {
  private final List<String> stops;
  private final int longest;
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  public StopMatcher(List<String> stops) {
    this.stops = List.copyOf(stops);
    this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
  }

  /** Adds text; returns what may be emitted now. After a match {@link #stopped()} is true. */
  public String accept(String text) {
    if (stopped) {
      return "";
    }
    if (stops.isEmpty()) {
      return text;
    }
    held.append(text);
    int first = -1;
    for (String stop : stops) {
      int at = held.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      stopped = true;
      String out = held.substring(0, first);
      held.setLength(0);
      return out;
    }
    int keep = Math.min(held.length(), longest - 1);
    // hold back only a suffix that is a prefix of some stop string
    while (keep > 0 && !isPrefixOfAStop(held.substring(held.length() - keep))) {
      keep--;
    }
    String out = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return out;
  }

  /** Text held back at the end of generation (it was not a stop string after all). */
  public String flush() {
    String out = stopped ? "" : held.toString();
    held.setLength(0);
    return out;
  }

  /** Whether text is held back waiting to see if a stop string follows. */
  public boolean holding() {
    return held.length() > 0;
  }

  public boolean stopped() {
    return stopped;
  }

  private boolean isPrefixOfAStop(String suffix) {
    for (String stop : stops) {
      if (stop.startsWith(suffix)) {
        return true;
      }
    }
    return false;
  }
}
