package dev.coemesh.operator.expert;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ServingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An Expert whose spec passed every check the operator makes, with what follows from it: its worker
 * pools and how their pods get the model. Built only by {@link #of}, before anything is created, so
 * that an invalid Expert gets nothing.
 *
 * @param pools the replica bounds of each pool (colocated, or prefill and decode), in that order
 */
public record ExpertPlan(
    Expert expert, ExpertSpec spec, ModelPlan model, Map<Role, PhaseReplicas> pools) {

  private static final Pattern NAME = Pattern.compile(ExpertSpec.NAME_PATTERN);
  private static final Pattern DURATION =
      Pattern.compile(dev.coemesh.k8s.expert.Slo.DURATION_PATTERN);

  /**
   * The longest Expert name whose objects' names ({@code NAME-prefill}) stay valid DNS labels (63),
   * with room for the ReplicaSet and pod suffixes Kubernetes appends to a Deployment's name.
   */
  public static final int MAX_NAME_LENGTH = 40;

  public ExpertPlan {
    pools = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pools));
  }

  public String name() {
    return expert.getMetadata().getName();
  }

  public String namespace() {
    return expert.getMetadata().getNamespace();
  }

  /** The pool whose pods answer OpenAI HTTP: colocated, or decode for a disaggregated expert. */
  public Role servingRole() {
    return pools.containsKey(Role.COLOCATED) ? Role.COLOCATED : Role.DECODE;
  }

  /**
   * Checks what the CRD's schema states (the mock server and an API server without the CRD's schema
   * do not) and the CEL rules, then derives the plan.
   */
  public static ExpertPlan of(Expert expert) throws InvalidSpecException {
    String name = expert.getMetadata().getName();
    if (!NAME.matcher(name).matches() || name.length() > MAX_NAME_LENGTH) {
      throw new InvalidSpecException(
          "InvalidName",
          "metadata.name: lower-case words joined by hyphens, at most "
              + MAX_NAME_LENGTH
              + " characters, got "
              + name);
    }
    ExpertSpec spec = expert.getSpec();
    if (spec == null) {
      throw new InvalidSpecException("SpecMissing", "spec is required");
    }
    ModelPlan model = ModelPlan.of(spec.model());
    if (spec.categories() == null || spec.categories().isEmpty()) {
      throw new InvalidSpecException("CategoriesMissing", "spec.categories: at least one");
    }
    for (String category : spec.categories()) {
      if (category == null || !NAME.matcher(category).matches()) {
        throw new InvalidSpecException(
            "InvalidCategory",
            "spec.categories: lower-case words joined by hyphens, got " + category);
      }
    }
    if (spec.servingMode() == null) {
      throw new InvalidSpecException(
          "ServingModeMissing", "spec.servingMode: colocated or disaggregated");
    }
    if (spec.slo() == null
        || spec.slo().ttft() == null
        || spec.slo().tpot() == null
        || !DURATION.matcher(spec.slo().ttft()).matches()
        || !DURATION.matcher(spec.slo().tpot()).matches()) {
      throw new InvalidSpecException(
          "InvalidSlo", "spec.slo: ttft and tpot in whole ms or s (2s, 80ms)");
    }
    if (spec.codecLevel() != null && !spec.codecLevel().matches("auto|[0-3]")) {
      throw new InvalidSpecException(
          "InvalidCodecLevel", "spec.codecLevel: auto or 0-3, got " + spec.codecLevel());
    }
    return new ExpertPlan(expert, spec, model, pools(spec));
  }

  private static Map<Role, PhaseReplicas> pools(ExpertSpec spec) throws InvalidSpecException {
    var bounds = spec.replicas();
    Map<Role, PhaseReplicas> pools = new LinkedHashMap<>();
    if (spec.servingMode() == ServingMode.COLOCATED) {
      if (bounds == null || bounds.colocated() == null) {
        throw new InvalidSpecException(
            "ReplicasMissing", "spec.replicas.colocated: a colocated expert needs its bounds");
      }
      if (bounds.prefill() != null || bounds.decode() != null) {
        throw new InvalidSpecException(
            "ReplicasForAnotherMode",
            "spec.replicas: a colocated expert has no prefill or decode pool");
      }
      pools.put(Role.COLOCATED, bounds.colocated());
    } else {
      if (bounds == null || bounds.prefill() == null || bounds.decode() == null) {
        throw new InvalidSpecException(
            "ReplicasMissing",
            "spec.replicas.prefill and .decode: a disaggregated expert needs both bounds");
      }
      if (bounds.colocated() != null) {
        throw new InvalidSpecException(
            "ReplicasForAnotherMode",
            "spec.replicas.colocated: a disaggregated expert has no colocated pool");
      }
      pools.put(Role.PREFILL, bounds.prefill());
      pools.put(Role.DECODE, bounds.decode());
    }
    List<String> wrong = new ArrayList<>();
    pools.forEach(
        (role, b) -> {
          if (b.min() == null
              || b.max() == null
              || b.min() < 0
              || b.max() < 1
              || b.max() > 256
              || b.min() > b.max()) {
            wrong.add(role.value() + " " + b.min() + ".." + b.max());
          }
        });
    if (!wrong.isEmpty()) {
      throw new InvalidSpecException(
          "InvalidReplicaBounds",
          "spec.replicas: 0 <= min <= max, 1 <= max <= 256, got " + String.join(", ", wrong));
    }
    return pools;
  }
}
