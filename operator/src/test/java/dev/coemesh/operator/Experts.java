package dev.coemesh.operator;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.ModelSource;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ReplicaBounds;
import dev.coemesh.k8s.expert.ServingMode;
import dev.coemesh.k8s.expert.Slo;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
import java.util.Map;

/** Expert objects as the samples in k8s/samples write them. */
final class Experts {
  private Experts() {}

  static final String STORIES_MODEL =
      "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin";
  static final String STORIES_TOKENIZER =
      "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin";
  static final String STORIES_SHA =
      "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696";

  /** k8s/samples/expert-stories.yaml. */
  static Expert stories(String namespace) {
    return expert(
        namespace,
        "stories",
        new ExpertSpec(
            new ModelSource(STORIES_MODEL, STORIES_TOKENIZER, STORIES_SHA),
            List.of("creative", "chat"),
            ServingMode.COLOCATED,
            new Slo("2s", "100ms"),
            new ReplicaBounds(new PhaseReplicas(2, 6), null, null),
            "auto",
            new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("1"), "memory", new Quantity("768Mi")))
                .withLimits(Map.of("memory", new Quantity("768Mi")))
                .build()));
  }

  /** k8s/samples/expert-coder.yaml. */
  static Expert coder(String namespace) {
    return expert(
        namespace,
        "coder",
        new ExpertSpec(
            new ModelSource(
                "pvc://coemesh-models/stories260K.bin", "pvc://coemesh-models/tok512.bin", null),
            List.of("code"),
            ServingMode.DISAGGREGATED,
            new Slo("1500ms", "80ms"),
            new ReplicaBounds(null, new PhaseReplicas(1, 4), new PhaseReplicas(2, 8)),
            "2",
            new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("2"), "memory", new Quantity("1Gi")))
                .withLimits(Map.of("memory", new Quantity("1Gi")))
                .build()));
  }

  static Expert expert(String namespace, String name, ExpertSpec spec) {
    Expert e = new Expert();
    e.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    e.setSpec(spec);
    return e;
  }

  /** {@code spec} with another model. */
  static ExpertSpec withModel(ExpertSpec spec, ModelSource model) {
    return new ExpertSpec(
        model,
        spec.categories(),
        spec.servingMode(),
        spec.slo(),
        spec.replicas(),
        spec.codecLevel(),
        spec.resources());
  }

  static ExpertSpec withCategories(ExpertSpec spec, List<String> categories) {
    return new ExpertSpec(
        spec.model(),
        categories,
        spec.servingMode(),
        spec.slo(),
        spec.replicas(),
        spec.codecLevel(),
        spec.resources());
  }
}
