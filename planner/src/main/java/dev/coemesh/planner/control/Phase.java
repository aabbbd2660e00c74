package dev.coemesh.planner.control;

/** The pools one expert scales: one colocated pool, or a prefill and a decode pool. */
public enum Phase {
  COLOCATED("colocated"),
  PREFILL("prefill"),
  DECODE("decode");

  private final String label;

  Phase(String label) {
    this.label = label;
  }

  /** The name used in metrics, the Expert's spec and Deployment names. */
  public String label() {
    return label;
  }

  public static Phase of(String label) {
    for (Phase p : values()) {
      if (p.label.equals(label)) {
        return p;
      }
    }
    throw new IllegalArgumentException("no phase " + label + " (colocated, prefill or decode)");
  }
}
