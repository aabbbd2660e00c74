package dev.coemesh.operator.expert;

import dev.coemesh.k8s.expert.ExpertCondition;
import dev.coemesh.k8s.expert.ExpertCondition.Status;
import dev.coemesh.k8s.expert.ExpertCondition.Type;
import dev.coemesh.k8s.expert.ExpertStatus;
import dev.coemesh.k8s.expert.ObservedReplicas;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An Expert's status from its spec's verdict and the Deployments it has: Ready when every pool has
 * its minimum of ready replicas, Degraded when one is below it, InvalidSpec when the operator
 * refused the spec. A condition keeps its lastTransitionTime while its status stays the same, so an
 * unchanged Expert gets an equal status and is not written.
 */
public final class ExpertStatuses {
  private ExpertStatuses() {}

  /**
   * @param generation the spec generation the verdict is for
   * @param refusal why the spec was refused, or null
   * @param deployments the Expert's worker Deployments as they are
   * @param previous the status it has now, or null
   */
  public static ExpertStatus of(
      Long generation,
      InvalidSpecException refusal,
      Collection<Deployment> deployments,
      ExpertStatus previous) {
    Map<Role, int[]> pools = new EnumMap<>(Role.class); // role -> {ready, min}
    for (Deployment d : deployments) {
      Role role = roleOf(d);
      if (role == null) {
        continue;
      }
      Integer ready = d.getStatus() == null ? null : d.getStatus().getReadyReplicas();
      String min = d.getMetadata().getAnnotations().get(Labels.REPLICAS_MIN);
      pools.put(
          role, new int[] {ready == null ? 0 : ready, min == null ? 1 : Integer.parseInt(min)});
    }
    List<String> counts = new ArrayList<>();
    boolean allReady = !pools.isEmpty();
    for (var e : pools.entrySet()) {
      counts.add(e.getKey().value() + " " + e.getValue()[0] + "/" + e.getValue()[1] + " ready");
      allReady &= e.getValue()[0] >= e.getValue()[1];
    }
    String replicas = String.join(", ", counts);

    List<ExpertCondition> conditions = new ArrayList<>();
    if (pools.isEmpty()) {
      String why = refusal != null ? "NothingCreated" : "PoolsPending";
      String message =
          refusal != null
              ? "nothing is created for an invalid spec"
              : "the worker Deployments are being created";
      conditions.add(condition(Type.READY, Status.FALSE, why, message, generation, previous));
      conditions.add(condition(Type.DEGRADED, Status.FALSE, why, message, generation, previous));
    } else {
      String kept = refusal != null ? " (serving the last valid spec)" : "";
      conditions.add(
          allReady
              ? condition(
                  Type.READY,
                  Status.TRUE,
                  "MinimumReplicasReady",
                  replicas + kept,
                  generation,
                  previous)
              : condition(
                  Type.READY,
                  Status.FALSE,
                  "MinimumReplicasNotReady",
                  replicas + kept,
                  generation,
                  previous));
      conditions.add(
          allReady
              ? condition(
                  Type.DEGRADED,
                  Status.FALSE,
                  "MinimumReplicasReady",
                  replicas + kept,
                  generation,
                  previous)
              : condition(
                  Type.DEGRADED,
                  Status.TRUE,
                  "BelowMinimumReplicas",
                  replicas + kept,
                  generation,
                  previous));
    }
    conditions.add(
        refusal != null
            ? condition(
                Type.INVALID_SPEC,
                Status.TRUE,
                refusal.reason(),
                refusal.getMessage(),
                generation,
                previous)
            : condition(
                Type.INVALID_SPEC,
                Status.FALSE,
                "SpecAccepted",
                "the spec is served",
                generation,
                previous));
    ObservedReplicas observed =
        new ObservedReplicas(
            ready(pools, Role.COLOCATED), ready(pools, Role.PREFILL), ready(pools, Role.DECODE));
    return new ExpertStatus(
        generation, conditions, observed, previous == null ? null : previous.planner());
  }

  private static Integer ready(Map<Role, int[]> pools, Role role) {
    int[] p = pools.get(role);
    return p == null ? null : p[0];
  }

  private static Role roleOf(Deployment d) {
    String role =
        d.getMetadata().getLabels() == null ? null : d.getMetadata().getLabels().get(Labels.ROLE);
    for (Role r : Role.values()) {
      if (r.value().equals(role)) {
        return r;
      }
    }
    return null;
  }

  private static ExpertCondition condition(
      Type type,
      Status status,
      String reason,
      String message,
      Long generation,
      ExpertStatus previous) {
    String since = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    if (previous != null && previous.conditions() != null) {
      for (ExpertCondition c : previous.conditions()) {
        if (c.type() == type && c.status() == status && c.lastTransitionTime() != null) {
          since = c.lastTransitionTime();
        }
      }
    }
    return new ExpertCondition(type, status, reason, message, since, generation);
  }

  /** Whether two statuses say the same. */
  public static boolean same(ExpertStatus a, ExpertStatus b) {
    return Objects.equals(a, b);
  }
}
