package dev.coemesh.planner.sim;

/** Per-request latency targets: a request meets the SLO when both hold. */
public record Slo(double ttftMs, double tpotMs) {
  public Slo {
    if (!(ttftMs > 0) || !(tpotMs > 0)) {
      throw new IllegalArgumentException("SLOs must be > 0: " + ttftMs + ", " + tpotMs);
    }
  }
}
