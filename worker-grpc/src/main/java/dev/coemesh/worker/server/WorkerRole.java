package dev.coemesh.worker.server;

import dev.coemesh.core.expert.ReplicaRole;
import java.util.Locale;

/**
 * Which pool a worker process serves. Every role serves colocated {@code Generate} and {@code
 * WorkerStatus}; {@link #PREFILL} adds {@code Prefill}, {@link #DECODE} adds {@code Decode}.
 */
public enum WorkerRole {
  COLOCATED,
  PREFILL,
  DECODE;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The pool this worker joins in the mesh's signals and routing. */
  public ReplicaRole replicaRole() {
    return switch (this) {
      case COLOCATED -> ReplicaRole.COLOCATED;
      case PREFILL -> ReplicaRole.PREFILL;
      case DECODE -> ReplicaRole.DECODE;
    };
  }

  public static WorkerRole parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "role must be colocated, prefill or decode, was '" + name + "'");
    }
  }
}
