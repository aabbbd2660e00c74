package dev.coemesh.k8s.expert;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * One condition of an expert, shaped like Kubernetes' own ({@code metav1.Condition}) but with the
 * types closed: {@code Ready} (every phase has its minimum of ready replicas), {@code Degraded}
 * (serving, below the minimum or missing its SLOs) and {@code InvalidSpec} (the operator refused
 * the spec; {@code reason} and {@code message} say why).
 *
 * @param type which condition
 * @param status True, False or Unknown
 * @param reason a CamelCase reason, for machines
 * @param message a sentence, for people
 * @param lastTransitionTime when status last changed (RFC 3339)
 * @param observedGeneration the spec generation it was set for
 */
public record ExpertCondition(
    @Required Type type,
    @Required Status status,
    @Required @Pattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$") @Size(max = 1024) String reason,
    @Size(max = 32768) String message,
    @Required String lastTransitionTime,
    Long observedGeneration) {

  /** The conditions an expert reports. */
  public enum Type {
    @JsonProperty("Ready")
    READY,
    @JsonProperty("Degraded")
    DEGRADED,
    @JsonProperty("InvalidSpec")
    INVALID_SPEC
  }

  /** A condition's state, as Kubernetes spells it. */
  public enum Status {
    @JsonProperty("True")
    TRUE,
    @JsonProperty("False")
    FALSE,
    @JsonProperty("Unknown")
    UNKNOWN
  }
}
