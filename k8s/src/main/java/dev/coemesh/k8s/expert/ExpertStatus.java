package dev.coemesh.k8s.expert;

import java.util.List;

/**
 * What the operator last observed of an expert.
 *
 * @param observedGeneration the spec generation this status describes
 * @param conditions Ready, Degraded and InvalidSpec, each at most once
 * @param replicas ready replicas per phase
 */
public record ExpertStatus(
    Long observedGeneration, List<ExpertCondition> conditions, ObservedReplicas replicas) {}
