package dev.coemesh.k8s.expert;

import java.util.List;

/**
 * What the operator last observed of an expert.
 *
 * @param observedGeneration the spec generation this status describes
 * @param conditions Ready, Degraded and InvalidSpec, each at most once
 * @param replicas ready replicas per phase
 * @param planner the planner's decision the operator applied; absent without a planner
 */
public record ExpertStatus(
    Long observedGeneration,
    List<ExpertCondition> conditions,
    ObservedReplicas replicas,
    PlannerStatus planner) {

  /** This status with the planner's part set. */
  public ExpertStatus withPlanner(PlannerStatus planner) {
    return new ExpertStatus(observedGeneration, conditions, replicas, planner);
  }
}
