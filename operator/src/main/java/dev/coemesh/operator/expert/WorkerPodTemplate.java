package dev.coemesh.operator.expert;

import dev.coemesh.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pod of one worker pool, the Java form of {@code k8s/workers/deployment.yaml}: the same
 * probes, security contexts, drain ({@code --drain-s 60} inside a 90 s grace period), environment
 * and volumes, with the model, resources and settings of one Expert and role. The one place the
 * operator builds a worker pod; every role uses it.
 */
public final class WorkerPodTemplate {
  public static final int GRPC_PORT = 9201;
  public static final int HTTP_PORT = 10201;
  public static final int DRAIN_SECONDS = 60;
  public static final long GRACE_SECONDS = 90;
  private static final long USER = 10001;
  private static final String FETCH_DIR = "/etc/coemesh/model-fetch";
  private static final String CREDENTIAL_DIR = "/var/run/secrets/coemesh/mesh-credential";

  /** The base's ConfigMap holding the init container's download script ({@code fetch.sh}). */
  public static final String FETCH_SCRIPT_CONFIG_MAP = "model-fetch";

  /** The Secret holding the mesh credential every worker presents. */
  public static final String CREDENTIAL_SECRET = "coemesh-mesh-credential";

  private final OperatorConfig config;

  public WorkerPodTemplate(OperatorConfig config) {
    this.config = config;
  }

  /**
   * @param settings the pool's settings ConfigMap (its keys become the environment)
   * @param settingsHash a digest of its data, so that a change rolls the pods
   * @param modelsConfigMap the Expert's {@code models.txt} ConfigMap, when it downloads models
   */
  public PodTemplateSpec build(
      ExpertPlan plan, Role role, String settings, String settingsHash, String modelsConfigMap) {
    ModelPlan model = plan.model();
    Map<String, String> labels = new LinkedHashMap<>(Labels.selector(plan.name(), role));
    labels.put(Labels.COMPONENT, "worker");
    labels.put(Labels.PART_OF, "coemesh");
    if (model.downloadsModels()) {
      labels.put(Labels.DOWNLOADS_MODELS, "true");
    }
    if (role == plan.servingRole()) {
      labels.put(Labels.OPENAI, "true");
    }
    List<Container> init = new ArrayList<>();
    if (model.downloadsModels()) {
      init.add(fetchContainer());
    }
    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(labels)
        .withAnnotations(Map.of(Labels.SETTINGS_HASH, settingsHash))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(config.workerServiceAccount())
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(GRACE_SECONDS)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(USER)
        .withRunAsGroup(USER)
        .withFsGroup(USER)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withInitContainers(init)
        .withContainers(workerContainer(plan, settings))
        .withVolumes(volumes(plan, modelsConfigMap))
        .endSpec()
        .build();
  }

  private Container fetchContainer() {
    return new ContainerBuilder()
        .withName("fetch-models")
        .withImage(config.fetchImage())
        .withCommand("/bin/sh", FETCH_DIR + "/fetch.sh")
        .withEnv(new EnvVar("MODELS_DIR", ModelPlan.MODELS_DIR, null))
        .withResources(sized("50m", "64Mi"))
        .withSecurityContext(locked())
        .withVolumeMounts(
            mount("models", ModelPlan.MODELS_DIR, false), mount("model-fetch", FETCH_DIR, true))
        .build();
  }

  private Container workerContainer(ExpertPlan plan, String settings) {
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--role", "$(MESH_ROLE)", "--expert", "$(MESH_EXPERT)"));
    args.addAll(List.of("--instance", "$(POD_NAME)", "--bind", "0.0.0.0"));
    args.addAll(List.of("--port", String.valueOf(GRPC_PORT), "--advertise", "$(POD_IP)"));
    args.addAll(List.of("--http-port", String.valueOf(HTTP_PORT), "--model", "$(MESH_MODEL)"));
    if (plan.model().tokenizer() != null) {
      // a synthetic model brings its own vocabulary
      args.addAll(List.of("--tokenizer", "$(MESH_TOKENIZER)"));
    }
    args.addAll(List.of("--level", "$(MESH_CODEC_LEVEL)"));
    args.addAll(List.of("--redis", "redis://redis:6379", "--kafka", "kafka:9092"));
    args.addAll(List.of("--credential-file", CREDENTIAL_DIR + "/token", "--lifeline", "none"));
    args.addAll(List.of("--drain-s", String.valueOf(DRAIN_SECONDS)));
    args.addAll(List.of("--prefill-peers", "$(MESH_PREFILL_PEERS)"));

    List<VolumeMount> mounts = new ArrayList<>();
    if (plan.model().downloadsModels()) {
      mounts.add(mount("models", ModelPlan.MODELS_DIR, true));
    }
    for (String claim : plan.model().claims()) {
      mounts.add(mount(claimVolume(claim), ModelPlan.MODELS_DIR + "/" + claim, true));
    }
    mounts.add(mount("tmp", "/tmp", false));
    mounts.add(mount("mesh-credential", CREDENTIAL_DIR, true));

    return new ContainerBuilder()
        .withName("worker")
        .withImage(config.workerImage())
        .addNewEnvFrom()
        .withNewConfigMapRef()
        .withName(settings)
        .endConfigMapRef()
        .endEnvFrom()
        .withEnv(
            fieldRef("POD_NAME", "metadata.name"),
            fieldRef("POD_IP", "status.podIP"),
            new EnvVar("OTEL_SDK_DISABLED", "false", null),
            new EnvVar("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", null),
            new EnvVar("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4318", null),
            new EnvVar("OTEL_SERVICE_NAME", "coemesh-worker", null))
        .withArgs(args)
        .addNewPort()
        .withName("grpc")
        .withContainerPort(GRPC_PORT)
        .endPort()
        .addNewPort()
        .withName("http")
        .withContainerPort(HTTP_PORT)
        .endPort()
        .withResources(resources(plan))
        // the gRPC port opens only once the model is loaded
        .withNewStartupProbe()
        .withNewTcpSocket()
        .withPort(new IntOrString("grpc"))
        .endTcpSocket()
        .withPeriodSeconds(5)
        .withFailureThreshold(60)
        .endStartupProbe()
        .withNewLivenessProbe()
        .withNewHttpGet()
        .withPath("/health/live")
        .withPort(new IntOrString("http"))
        .endHttpGet()
        .withPeriodSeconds(10)
        .withFailureThreshold(3)
        .endLivenessProbe()
        // 503 from SIGTERM on: the InferencePool and Services drop a draining pod
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/health/ready")
        .withPort(new IntOrString("http"))
        .endHttpGet()
        .withPeriodSeconds(5)
        .withFailureThreshold(2)
        .endReadinessProbe()
        .withSecurityContext(locked())
        .withVolumeMounts(mounts)
        .build();
  }

  /** The Expert's resources, else the template's; the memory limit always equals the request. */
  private static ResourceRequirements resources(ExpertPlan plan) {
    ResourceRequirements given = plan.spec().resources();
    if (given == null || given.getRequests() == null || given.getRequests().isEmpty()) {
      return sized("1", "768Mi");
    }
    Map<String, Quantity> requests = new LinkedHashMap<>(given.getRequests());
    Map<String, Quantity> limits =
        new LinkedHashMap<>(given.getLimits() == null ? Map.of() : given.getLimits());
    if (requests.containsKey("memory")) {
      // a limit above the request lets the node overcommit what the JVM heap will use
      limits.put("memory", requests.get("memory"));
    }
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  private List<Volume> volumes(ExpertPlan plan, String modelsConfigMap) {
    List<Volume> volumes = new ArrayList<>();
    if (plan.model().downloadsModels()) {
      volumes.add(
          new VolumeBuilder()
              .withName("models")
              .withNewEmptyDir()
              .withSizeLimit(new Quantity("256Mi"))
              .endEmptyDir()
              .build());
      // the base's script beside this Expert's list of files
      volumes.add(
          new VolumeBuilder()
              .withName("model-fetch")
              .withNewProjected()
              .withDefaultMode(0555)
              .addNewSource()
              .withNewConfigMap()
              .withName(FETCH_SCRIPT_CONFIG_MAP)
              .addNewItem()
              .withKey("fetch.sh")
              .withPath("fetch.sh")
              .endItem()
              .endConfigMap()
              .endSource()
              .addNewSource()
              .withNewConfigMap()
              .withName(modelsConfigMap)
              .addNewItem()
              .withKey("models.txt")
              .withPath("models.txt")
              .endItem()
              .endConfigMap()
              .endSource()
              .endProjected()
              .build());
    }
    for (String claim : plan.model().claims()) {
      volumes.add(
          new VolumeBuilder()
              .withName(claimVolume(claim))
              .withNewPersistentVolumeClaim(claim, true)
              .build());
    }
    volumes.add(
        new VolumeBuilder()
            .withName("tmp")
            .withNewEmptyDir()
            .withSizeLimit(new Quantity("512Mi"))
            .endEmptyDir()
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName("mesh-credential")
            .withNewSecret()
            .withSecretName(CREDENTIAL_SECRET)
            .withDefaultMode(0440)
            .endSecret()
            .build());
    return volumes;
  }

  static String claimVolume(String claim) {
    return "model-" + claim;
  }

  private static ResourceRequirements sized(String cpu, String memory) {
    return new ResourceRequirementsBuilder()
        .withRequests(Map.of("cpu", new Quantity(cpu), "memory", new Quantity(memory)))
        .withLimits(Map.of("memory", new Quantity(memory)))
        .build();
  }

  private static SecurityContext locked() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .build();
  }

  private static VolumeMount mount(String name, String path, boolean readOnly) {
    VolumeMountBuilder b = new VolumeMountBuilder().withName(name).withMountPath(path);
    return readOnly ? b.withReadOnly(true).build() : b.build();
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }
}
