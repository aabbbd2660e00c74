package dev.coemesh.gateway.auth;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The tenants in force at one moment: who a key authenticates, each tenant's default priority and
 * the inference objectives a request may name. Immutable; a reload replaces the whole table, so a
 * request sees one consistent version from authentication to priority.
 *
 * @param objectives objective name → {@code InferenceObjective} priority (higher is more important;
 *     below 0 is batch)
 * @param defaultPriorities tenants whose requests are batch unless they say otherwise; others
 *     default to interactive
 */
public record TenantTable(
    ApiKeyAuthenticator authenticator,
    Map<String, Integer> objectives,
    Map<TenantId, Priority> defaultPriorities) {

  /** Request header naming the priority class: {@code interactive} or {@code batch}. */
  public static final String PRIORITY_HEADER = "x-mesh-priority";

  /**
   * Request header naming an inference objective, as the Kubernetes Gateway API Inference Extension
   * spells it.
   */
  public static final String OBJECTIVE_HEADER = "x-gateway-inference-objective";

  /** Objectives every table knows unless the tenants file redefines them. */
  static final Map<String, Integer> BUILT_IN_OBJECTIVES = Map.of("interactive", 0, "batch", -1);

  public TenantTable {
    Objects.requireNonNull(authenticator, "authenticator");
    objectives = Map.copyOf(objectives);
    defaultPriorities = Map.copyOf(defaultPriorities);
  }

  /**
   * The priority class of a request of {@code tenant}: {@code x-mesh-priority} when sent, else the
   * objective's, else the tenant's default. Both headers are checked when sent.
   *
   * @throws MeshException {@code INVALID_REQUEST} for a value that is neither class, or an
   *     objective this table does not define
   */
  public Priority priority(Tenant tenant, String priorityHeader, String objectiveHeader) {
    Priority fromObjective = null;
    if (objectiveHeader != null && !objectiveHeader.isBlank()) {
      Integer value = objectives.get(objectiveHeader.strip());
      if (value == null) {
        throw MeshException.invalid(
            OBJECTIVE_HEADER,
            OBJECTIVE_HEADER
                + ": unknown inference objective '"
                + clip(objectiveHeader)
                + "' (known: "
                + String.join(", ", new TreeMap<>(objectives).keySet())
                + ")");
      }
      fromObjective = Priority.ofObjective(value);
    }
    if (priorityHeader != null && !priorityHeader.isBlank()) {
      Priority p = Priority.parse(priorityHeader);
      if (p == null) {
        throw MeshException.invalid(
            PRIORITY_HEADER,
            PRIORITY_HEADER
                + " must be 'interactive' or 'batch', got '"
                + clip(priorityHeader)
                + "'");
      }
      return p;
    }
    if (fromObjective != null) {
      return fromObjective;
    }
    return defaultPriorities.getOrDefault(tenant.id(), Priority.INTERACTIVE);
  }

  /** Echoes at most a short prefix of a client's value in the error. */
  private static String clip(String value) {
    String s = value.strip();
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
