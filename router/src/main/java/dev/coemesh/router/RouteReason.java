package dev.coemesh.router;

/** Why a decision chose its expert. */
public enum RouteReason {
  /** The classifier's category, at or above the confidence threshold. */
  CLASSIFIED,
  /** The classifier was below the confidence threshold: the fallback (generalist) expert. */
  LOW_CONFIDENCE,
  /** The request's {@code model} named the expert and the config allows that override. */
  EXPLICIT_MODEL,
  /** The request's category hint replaced the classifier and the config allows that override. */
  CATEGORY_HINT;

  /** The lower-case name used in signals and span attributes. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
