package dev.coemesh.k8s.expert;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The replicas one phase may scale between. A minimum of 0 lets an idle phase scale to nothing; the
 * maximum is at least 1 so that the phase can serve at all.
 */
@ValidationRule(value = "self.min <= self.max", message = "min must not exceed max")
public record PhaseReplicas(
    @Required @Min(0) @Max(256) Integer min, @Required @Min(1) @Max(256) Integer max) {}
