package dev.coemesh.core.expert;

import java.util.Objects;

/**
 * One replica of an expert's pool: the expert, its role and an instance name unique in the pool.
 */
public record ReplicaId(ExpertId expert, ReplicaRole role, String instance) {
  public ReplicaId {
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(role, "role");
    if (instance == null || instance.isBlank()) {
      throw new IllegalArgumentException("replica instance name must not be blank");
    }
  }

  @Override
  public String toString() {
    return expert + "/" + role.name().toLowerCase(java.util.Locale.ROOT) + "/" + instance;
  }
}
