package dev.coemesh.k8s.expert;

/**
 * The planner's decision as the operator applied it: the replicas it set per phase (within the
 * spec's bounds), why, and when the decision last changed. Absent when no planner runs.
 *
 * @param desiredReplicas replicas per phase the operator sets on the worker Deployments
 * @param reason the planner's reason ({@code slo-missed}, {@code slo-met}, {@code load-floor},
 *     {@code steady}...), {@code paused} while the Expert carries {@code coemesh.dev/planner:
 *     paused}, {@code no-decision} while the planner has none for it
 * @param lastChange when the decision last changed, RFC 3339; absent before any
 */
public record PlannerStatus(ObservedReplicas desiredReplicas, String reason, String lastChange) {}
