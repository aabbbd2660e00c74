package dev.coemesh.k8s.expert;

/**
 * Replica bounds per phase; which phases must be given follows from the serving mode (a CEL rule on
 * {@link ExpertSpec}).
 */
public record ReplicaBounds(PhaseReplicas colocated, PhaseReplicas prefill, PhaseReplicas decode) {}
