package dev.coemesh.k8s.expert;

import io.fabric8.generator.annotation.Min;

/**
 * Replicas per phase (ready ones in {@code status.replicas}, asked-for ones in {@code
 * status.planner}); a phase the serving mode does not use stays absent.
 */
public record ObservedReplicas(
    @Min(0) Integer colocated, @Min(0) Integer prefill, @Min(0) Integer decode) {}
