package dev.coemesh.worker.server;

import java.util.Locale;

/** Which pool a worker process serves; both also serve colocated {@code Generate}. */
public enum WorkerRole {
  PREFILL,
  DECODE;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static WorkerRole parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("role must be prefill or decode, was '" + name + "'");
    }
  }
}
