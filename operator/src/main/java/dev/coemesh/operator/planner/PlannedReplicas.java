package dev.coemesh.operator.planner;

import dev.coemesh.k8s.expert.ObservedReplicas;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.PlannerStatus;
import dev.coemesh.operator.expert.ExpertObjects;
import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.operator.expert.Labels;
import dev.coemesh.operator.expert.Role;
import dev.coemesh.operator.planner.PlannerDecisions.Planned;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The replicas the operator sets on an Expert's pools from the planner's decision, and what it
 * writes into {@code status.planner}.
 *
 * <ul>
 *   <li>A decision is kept within the spec's bounds for its phase ({@code min-bound}, {@code
 *       max-bound} when that changed it).
 *   <li>{@code coemesh.dev/planner: paused} on the Expert keeps each pool's replicas as they are
 *       (within the bounds).
 *   <li>Without a decision for a pool (the planner has not heard of it, or is unreachable) the pool
 *       keeps its replicas too: a failed read never scales anything.
 * </ul>
 *
 * <p>A manual {@code kubectl scale} of a Deployment is not reverted by an unchanged decision: the
 * operator writes a Deployment only when what it wants differs from what it last wrote ({@link
 * dev.coemesh.operator.expert.ObjectApplier}), so only a new decision replaces the edit.
 */
public final class PlannedReplicas {
  /** The replicas per pool and the status part; replicas may be empty (every pool at min). */
  public record Applied(Map<Role, Integer> replicas, PlannerStatus status) {}

  private PlannedReplicas() {}

  /**
   * @param decisions this Expert's decisions by phase, or null for none
   * @param live the Expert's Deployments as they are
   */
  public static Applied of(
      ExpertPlan plan,
      Map<String, String> annotations,
      Map<String, Planned> decisions,
      Collection<Deployment> live) {
    boolean paused =
        annotations != null && Labels.PLANNER_PAUSED.equals(annotations.get(Labels.PLANNER));
    Map<Role, Integer> replicas = new EnumMap<>(Role.class);
    Map<Role, String> reasons = new EnumMap<>(Role.class);
    long lastChange = 0;
    for (Map.Entry<Role, PhaseReplicas> pool : plan.pools().entrySet()) {
      Role role = pool.getKey();
      PhaseReplicas bounds = pool.getValue();
      Integer running = running(plan, role, live);
      Planned planned = decisions == null ? null : decisions.get(role.value());
      if (paused || planned == null) {
        replicas.put(role, clamp(running == null ? bounds.min() : running, bounds));
        reasons.put(role, paused ? "paused" : "no-decision");
        continue;
      }
      int within = clamp(planned.desiredReplicas(), bounds);
      replicas.put(role, within);
      reasons.put(
          role,
          within == planned.desiredReplicas()
              ? planned.reason()
              : within == bounds.min() ? "min-bound" : "max-bound");
      lastChange = Math.max(lastChange, planned.lastChangeMs());
    }
    return new Applied(
        replicas,
        new PlannerStatus(
            new ObservedReplicas(
                replicas.get(Role.COLOCATED),
                replicas.get(Role.PREFILL),
                replicas.get(Role.DECODE)),
            reason(reasons),
            lastChange > 0 ? Instant.ofEpochMilli(lastChange).toString() : null));
  }

  /** One reason when every pool has the same, else {@code prefill=steady,decode=slo-missed}. */
  private static String reason(Map<Role, String> reasons) {
    Set<String> distinct = new LinkedHashSet<>(reasons.values());
    if (distinct.size() == 1) {
      return distinct.iterator().next();
    }
    StringBuilder out = new StringBuilder();
    reasons.forEach(
        (role, why) ->
            out.append(out.isEmpty() ? "" : ",").append(role.value()).append('=').append(why));
    return out.toString();
  }

  private static Integer running(ExpertPlan plan, Role role, Collection<Deployment> live) {
    String name = ExpertObjects.poolName(plan.name(), role);
    for (Deployment d : live) {
      if (name.equals(d.getMetadata().getName()) && d.getSpec() != null) {
        return d.getSpec().getReplicas();
      }
    }
    return null;
  }

  private static int clamp(int replicas, PhaseReplicas bounds) {
    return Math.max(bounds.min(), Math.min(bounds.max(), replicas));
  }
}
