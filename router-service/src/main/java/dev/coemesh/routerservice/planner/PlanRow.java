package dev.coemesh.routerservice.planner;

/**
 * One phase's decision as {@code GET /v1/planner} shows it and the operator reads it.
 *
 * @param expert the expert's name
 * @param phase {@code colocated}, {@code prefill} or {@code decode}
 * @param desiredReplicas what the planner asks the phase to run
 * @param floor the throughput loop's floor
 * @param readyReplicas the replicas that report on {@code mesh.load}
 * @param reason why ({@code dev.coemesh.planner.control.Reason}'s labels)
 * @param lastChangeMs when {@code desiredReplicas} last changed, epoch ms
 */
public record PlanRow(
    String expert,
    String phase,
    int desiredReplicas,
    int floor,
    int readyReplicas,
    String reason,
    long lastChangeMs) {}
