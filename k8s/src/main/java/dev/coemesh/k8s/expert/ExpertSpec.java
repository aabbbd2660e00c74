package dev.coemesh.k8s.expert;

import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;

/**
 * What an expert serves and how. The schema states every constraint it can (required fields, enums,
 * minimums, patterns); the one that spans fields, that the serving mode has replica bounds for its
 * phases, is a CEL rule the API server evaluates.
 *
 * @param model where its weights come from
 * @param categories the routing categories it serves (names as in the routing config)
 * @param servingMode colocated (one replica runs prefill and decode) or disaggregated
 * @param slo the latency objectives its replicas are scaled to meet
 * @param replicas replica bounds per phase: {@code colocated}, or {@code prefill} and {@code
 *     decode}
 * @param codecLevel the CacheGen level of the KV that prefill hands to decode ({@code auto} or 0-3,
 *     the worker's {@code --level})
 * @param resources requests and limits of each replica's worker container
 */
@ValidationRule(
    value =
        "self.servingMode == 'colocated' ? has(self.replicas.colocated)"
            + " : (has(self.replicas.prefill) && has(self.replicas.decode))",
    message =
        "replicas must give colocated bounds for a colocated expert, prefill and decode bounds for"
            + " a disaggregated one",
    reason = "FieldValueRequired")
public record ExpertSpec(
    @Required ModelSource model,
    @Required @Size(min = 1) List<@Pattern(ExpertSpec.NAME_PATTERN) String> categories,
    @Required @PrinterColumn(name = "Mode") ServingMode servingMode,
    @Required Slo slo,
    @Required ReplicaBounds replicas,
    @Default("auto") @Pattern("^(auto|[0-3])$") String codecLevel,
    ResourceRequirements resources) {

  /** A category or expert name: lower-case words joined by hyphens, as the routing config uses. */
  public static final String NAME_PATTERN = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";
}
