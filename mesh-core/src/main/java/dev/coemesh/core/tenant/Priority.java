package dev.coemesh.core.tenant;

import java.util.Locale;

/**
 * How urgent a request is to its tenant, within the tenant's fair share: an interactive request (a
 * person waits for its first token) goes before the same tenant's batch requests, and batch work
 * never takes the last slots of an expert.
 *
 * <p>The integer priorities of the Kubernetes Gateway API Inference Extension's {@code
 * InferenceObjective} (higher is more important, unset is 0, negative means the request may be shed
 * or delayed first) map onto the two classes with {@link #ofObjective}: 0 and above is interactive,
 * below 0 is batch.
 */
public enum Priority {
  INTERACTIVE,
  BATCH;

  /** The class of an {@code InferenceObjective} priority. */
  public static Priority ofObjective(int priority) {
    return priority < 0 ? BATCH : INTERACTIVE;
  }

  /** {@code interactive} or {@code batch}, as clients and config files spell it. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The class named {@code interactive} or {@code batch} (any case), or null for anything else. */
  public static Priority parse(String name) {
    if (name == null) {
      return null;
    }
    for (Priority p : values()) {
      if (p.wireName().equalsIgnoreCase(name.strip())) {
        return p;
      }
    }
    return null;
  }
}
