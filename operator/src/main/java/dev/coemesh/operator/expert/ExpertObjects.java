package dev.coemesh.operator.expert;

import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one valid Expert runs as, each object owned by the Expert (a controller reference, so
 * that the garbage collector removes it with the Expert):
 *
 * <ul>
 *   <li>per pool ({@code NAME-colocated}, or {@code NAME-prefill} and {@code NAME-decode}): the
 *       worker settings ConfigMap, the Deployment (at the pool's minimum) and a headless Service
 *       (gRPC 9201, HTTP 10201) giving its pods DNS names;
 *   <li>{@code NAME-models} (https sources only): the init container's {@code models.txt};
 *   <li>the InferencePool {@code NAME}: the pods that answer OpenAI HTTP, picked by the EPP.
 * </ul>
 */
public final class ExpertObjects {
  public static final ResourceDefinitionContext INFERENCE_POOL =
      new ResourceDefinitionContext.Builder()
          .withGroup("inference.networking.k8s.io")
          .withVersion("v1")
          .withKind("InferencePool")
          .withPlural("inferencepools")
          .withNamespaced(true)
          .build();

  /** The mesh-wide InferencePool of a namespace (see {@link #meshPool}). */
  public static final String MESH_POOL = "coemesh";

  private final OperatorConfig config;
  private final WorkerPodTemplate pods;

  public ExpertObjects(OperatorConfig config) {
    this.config = config;
    this.pods = new WorkerPodTemplate(config);
  }

  /** The pool's objects' name. */
  public static String poolName(String expert, Role role) {
    return expert + "-" + role.value();
  }

  public static String modelsName(String expert) {
    return expert + "-models";
  }

  /**
   * The last valid spec of an Expert whose InferencePool is {@code pool}, as it was served: what
   * keeps routing to it while its current spec is invalid.
   */
  public static java.util.Optional<dev.coemesh.k8s.expert.ExpertSpec> servedSpec(
      GenericKubernetesResource pool) {
    if (pool == null || pool.getMetadata().getAnnotations() == null) {
      return java.util.Optional.empty();
    }
    String json = pool.getMetadata().getAnnotations().get(Labels.SERVED_SPEC);
    return json == null
        ? java.util.Optional.empty()
        : java.util.Optional.of(
            Serialization.unmarshal(json, dev.coemesh.k8s.expert.ExpertSpec.class));
  }

  /** The desired objects with every pool at its minimum. */
  public List<HasMetadata> desired(ExpertPlan plan) {
    return desired(plan, Map.of());
  }

  /**
   * The desired objects, ConfigMaps before the Deployments that read them.
   *
   * @param replicas the replicas per pool (the planner's decision within the bounds); a pool not
   *     named starts at its minimum
   */
  public List<HasMetadata> desired(ExpertPlan plan, Map<Role, Integer> replicas) {
    List<HasMetadata> objects = new ArrayList<>();
    String models = null;
    if (plan.model().downloadsModels()) {
      models = modelsName(plan.name());
      objects.add(modelsConfigMap(plan, models));
    }
    for (Map.Entry<Role, PhaseReplicas> pool : plan.pools().entrySet()) {
      ConfigMap settings = settings(plan, pool.getKey());
      objects.add(settings);
      int count = replicas.getOrDefault(pool.getKey(), pool.getValue().min());
      objects.add(deployment(plan, pool.getKey(), pool.getValue(), count, settings, models));
      objects.add(service(plan, pool.getKey()));
    }
    objects.add(inferencePool(plan));
    return objects;
  }

  private ConfigMap modelsConfigMap(ExpertPlan plan, String name) {
    return new ConfigMapBuilder()
        .withMetadata(meta(plan, name, Labels.ofExpert(plan.name()), Map.of()))
        .withData(Map.of("models.txt", ModelPlan.modelsTxt(plan.model().downloads())))
        .build();
  }

  /** The keys the worker's arguments read ({@code $(MESH_MODEL)}...), and the SLOs. */
  private ConfigMap settings(ExpertPlan plan, Role role) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("MESH_EXPERT", plan.name());
    data.put("MESH_ROLE", role.value());
    data.put("MESH_MODEL", plan.model().model());
    if (plan.model().tokenizer() != null) {
      data.put("MESH_TOKENIZER", plan.model().tokenizer());
    }
    data.put(
        "MESH_CODEC_LEVEL", plan.spec().codecLevel() == null ? "auto" : plan.spec().codecLevel());
    data.put("MESH_PREFILL_PEERS", config.prefillPeers());
    return new ConfigMapBuilder()
        .withMetadata(
            meta(plan, poolName(plan.name(), role), poolLabels(plan, role), sloAnnotations(plan)))
        .withData(data)
        .build();
  }

  private Deployment deployment(
      ExpertPlan plan,
      Role role,
      PhaseReplicas bounds,
      int replicas,
      ConfigMap settings,
      String models) {
    Map<String, String> annotations = new LinkedHashMap<>(sloAnnotations(plan));
    annotations.put(Labels.REPLICAS_MIN, String.valueOf(bounds.min()));
    annotations.put(Labels.REPLICAS_MAX, String.valueOf(bounds.max()));
    String name = poolName(plan.name(), role);
    return new DeploymentBuilder()
        .withMetadata(meta(plan, name, poolLabels(plan, role), annotations))
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .withMatchLabels(Labels.selector(plan.name(), role))
        .endSelector()
        .withTemplate(
            pods.build(plan, role, name, Hashes.of(settings.getData().toString()), models))
        .endSpec()
        .build();
  }

  private Service service(ExpertPlan plan, Role role) {
    return new ServiceBuilder()
        .withMetadata(meta(plan, poolName(plan.name(), role), poolLabels(plan, role), Map.of()))
        .withNewSpec()
        .withClusterIP("None")
        .withSelector(Labels.selector(plan.name(), role))
        .addNewPort()
        .withName("grpc")
        .withPort(WorkerPodTemplate.GRPC_PORT)
        .withNewTargetPort("grpc")
        .endPort()
        .addNewPort()
        .withName("http")
        .withPort(WorkerPodTemplate.HTTP_PORT)
        .withNewTargetPort("http")
        .endPort()
        .endSpec()
        .build();
  }

  private GenericKubernetesResource inferencePool(ExpertPlan plan) {
    return inferencePool(
        meta(
            plan,
            plan.name(),
            Labels.ofExpert(plan.name()),
            Map.of(Labels.SERVED_SPEC, Serialization.asJson(plan.spec()))),
        Labels.selector(plan.name(), plan.servingRole()));
  }

  /**
   * The InferencePool {@value #MESH_POOL} over the OpenAI-serving pods of every Expert of {@code
   * namespace}: what an HTTPRoute sends CoE-routed traffic to, since the endpoint picker may choose
   * any expert's replica and a gateway takes only endpoints of the pool it asked about (a
   * per-Expert pool suits routes that already name the expert). Owned by every Expert, as the
   * routing config is.
   */
  public GenericKubernetesResource meshPool(String namespace, List<OwnerReference> owners) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(Labels.NAME, "worker");
    selector.put(Labels.MANAGED_BY, Labels.OPERATOR);
    selector.put(Labels.OPENAI, "true");
    return inferencePool(
        new ObjectMetaBuilder()
            .withName(MESH_POOL)
            .withNamespace(namespace)
            .withLabels(Map.of(Labels.PART_OF, "coemesh", Labels.MANAGED_BY, Labels.OPERATOR))
            .withOwnerReferences(owners)
            .build(),
        selector);
  }

  private GenericKubernetesResource inferencePool(ObjectMeta meta, Map<String, String> selector) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("selector", Map.of("matchLabels", selector));
    spec.put("targetPorts", List.of(Map.of("number", WorkerPodTemplate.HTTP_PORT)));
    Map<String, Object> picker = new LinkedHashMap<>();
    picker.put("kind", "Service");
    picker.put("name", config.eppService());
    picker.put("port", Map.of("number", config.eppPort()));
    // no endpoint is picked while the EPP is down, rather than Envoy's own choice
    picker.put("failureMode", "FailClose");
    spec.put("endpointPickerRef", picker);
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(INFERENCE_POOL.getGroup() + "/" + INFERENCE_POOL.getVersion())
        .withKind(INFERENCE_POOL.getKind())
        .withMetadata(meta)
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  private static Map<String, String> poolLabels(ExpertPlan plan, Role role) {
    Map<String, String> labels = Labels.ofExpert(plan.name());
    labels.put(Labels.NAME, "worker");
    labels.put(Labels.ROLE, role.value());
    return labels;
  }

  private static Map<String, String> sloAnnotations(ExpertPlan plan) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(Labels.SLO_TTFT, plan.spec().slo().ttft());
    a.put(Labels.SLO_TPOT, plan.spec().slo().tpot());
    return a;
  }

  private static ObjectMeta meta(
      ExpertPlan plan, String name, Map<String, String> labels, Map<String, String> annotations) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(plan.namespace())
        .withLabels(labels)
        .withAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations))
        .withOwnerReferences(ownerOf(plan))
        .build();
  }

  /** The Expert as the controlling owner of what it runs. */
  public static OwnerReference ownerOf(ExpertPlan plan) {
    return owner(plan.expert(), true);
  }

  public static OwnerReference owner(dev.coemesh.k8s.expert.Expert expert, boolean controller) {
    return new OwnerReferenceBuilder()
        .withApiVersion(expert.getApiVersion())
        .withKind(expert.getKind())
        .withName(expert.getMetadata().getName())
        .withUid(expert.getMetadata().getUid())
        .withController(controller ? true : null)
        .withBlockOwnerDeletion(controller ? true : null)
        .build();
  }
}
