package dev.coemesh.operator.expert;

import java.util.Locale;

/** A worker pool's part in serving: the worker's {@code --role} and the pool's name suffix. */
public enum Role {
  COLOCATED,
  PREFILL,
  DECODE;

  /** As the worker, the labels and the object names spell it. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
