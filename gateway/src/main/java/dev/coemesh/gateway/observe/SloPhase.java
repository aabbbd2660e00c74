package dev.coemesh.gateway.observe;

import java.util.Locale;

/** The latency a service-level objective bounds. */
public enum SloPhase {
  /** Time to first token: arrival to the first output token. */
  TTFT,
  /** Time per output token: the mean gap between output tokens after the first. */
  TPOT;

  /** The metric tag and JSON name. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
