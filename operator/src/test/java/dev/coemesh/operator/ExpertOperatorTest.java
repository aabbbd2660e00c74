package dev.coemesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertCondition;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.ModelSource;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ReplicaBounds;
import dev.coemesh.k8s.expert.Slo;
import dev.coemesh.operator.expert.ExpertObjects;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator against fabric8's mock API server in CRUD mode (objects are stored, listed, watched
 * and patched; no controllers run, so no pod ever becomes ready by itself and no garbage collector
 * deletes owned objects). Each test works in its own namespace, since the routing config is one per
 * namespace.
 */
@EnableKubernetesMockClient(crud = true)
class ExpertOperatorTest {
  static KubernetesClient client;
  private static Operator operator;
  private static ExpertReconciler reconciler;
  private static final Duration RESYNC = Duration.ofSeconds(1);

  @BeforeAll
  static void startOperator() throws Exception {
    try (InputStream crd =
        Files.newInputStream(Path.of("../k8s/base/crd/experts.coemesh.dev-v1.yml"))) {
      client
          .resource(
              client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
          .create();
    }
    OperatorConfig config = OperatorConfig.fromEnv(Map.of()).withResync(RESYNC);
    reconciler = new ExpertReconciler(config);
    operator = OperatorMain.start(client, config, reconciler);
  }

  @AfterAll
  static void stopOperator() {
    if (operator != null) {
      operator.stop();
    }
  }

  private static void awaitAsserted(org.awaitility.core.ThrowingRunnable check) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .untilAsserted(check);
  }

  private static Expert create(Expert expert) {
    return client.resource(expert).create();
  }

  private static Expert get(String ns, String name) {
    return client.resources(Expert.class).inNamespace(ns).withName(name).get();
  }

  private static Deployment deployment(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  private static ConfigMap configMap(String ns, String name) {
    return client.configMaps().inNamespace(ns).withName(name).get();
  }

  private static GenericKubernetesResource pool(String ns, String name) {
    return client
        .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
        .inNamespace(ns)
        .withName(name)
        .get();
  }

  private static ExpertCondition condition(Expert e, ExpertCondition.Type type) {
    if (e == null || e.getStatus() == null || e.getStatus().conditions() == null) {
      return null;
    }
    return e.getStatus().conditions().stream()
        .filter(c -> c.type() == type)
        .findFirst()
        .orElse(null);
  }

  private static RoutingConfig routing(String ns) {
    ConfigMap cm = configMap(ns, "coemesh-routing");
    assertNotNull(cm, "routing ConfigMap in " + ns);
    return RoutingConfigLoader.parse("routing.yaml", cm.getData().get("routing.yaml"));
  }

  private static void assertOwnedBy(HasMetadata object, Expert owner) {
    List<OwnerReference> refs = object.getMetadata().getOwnerReferences();
    assertEquals(1, refs.size(), object.getKind() + " " + object.getMetadata().getName());
    OwnerReference ref = refs.getFirst();
    assertEquals("coemesh.dev/v1alpha1", ref.getApiVersion());
    assertEquals("Expert", ref.getKind());
    assertEquals(owner.getMetadata().getName(), ref.getName());
    assertEquals(owner.getMetadata().getUid(), ref.getUid());
    assertEquals(Boolean.TRUE, ref.getController());
  }

  private static Map<String, String> env(Container c) {
    Map<String, String> env = new TreeMap<>();
    for (EnvVar e : c.getEnv()) {
      env.put(
          e.getName(),
          e.getValue() != null ? e.getValue() : e.getValueFrom().getFieldRef().getFieldPath());
    }
    return env;
  }

  @Test
  void aColocatedExpertGetsItsPoolServiceSettingsInferencePoolAndRoutes() {
    String ns = "colocated";
    Expert stories = create(Experts.stories(ns));

    awaitAsserted(() -> assertNotNull(configMap(ns, "coemesh-routing")));
    Deployment d = deployment(ns, "stories-colocated");
    assertNotNull(d);
    assertOwnedBy(d, stories);
    assertEquals(2, d.getSpec().getReplicas(), "the pool starts at its minimum");
    assertEquals("2", d.getMetadata().getAnnotations().get("coemesh.dev/replicas-min"));
    assertEquals("6", d.getMetadata().getAnnotations().get("coemesh.dev/replicas-max"));
    assertEquals("2s", d.getMetadata().getAnnotations().get("coemesh.dev/slo-ttft"));
    Map<String, String> selector =
        Map.of(
            "app.kubernetes.io/name",
            "worker",
            "coemesh.dev/expert",
            "stories",
            "coemesh.dev/role",
            "colocated");
    assertEquals(selector, d.getSpec().getSelector().getMatchLabels());
    assertTrue(
        d.getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels()
            .entrySet()
            .containsAll(selector.entrySet()));
    assertEquals(
        "true",
        d.getSpec().getTemplate().getMetadata().getLabels().get("coemesh.dev/downloads-models"));

    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertEquals("worker", pod.getServiceAccountName());
    assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
    assertEquals(90L, pod.getTerminationGracePeriodSeconds());
    assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
    assertEquals(10001L, pod.getSecurityContext().getRunAsUser());
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());

    Container fetch = pod.getInitContainers().getFirst();
    assertEquals("fetch-models", fetch.getName());
    assertEquals("curlimages/curl:8.11.1", fetch.getImage());
    assertEquals(List.of("/bin/sh", "/etc/coemesh/model-fetch/fetch.sh"), fetch.getCommand());

    Container worker = pod.getContainers().getFirst();
    assertEquals("coemesh/worker:0.1.0", worker.getImage());
    assertEquals("stories-colocated", worker.getEnvFrom().getFirst().getConfigMapRef().getName());
    assertEquals(
        List.of(
            "--role",
            "$(MESH_ROLE)",
            "--expert",
            "$(MESH_EXPERT)",
            "--instance",
            "$(POD_NAME)",
            "--bind",
            "0.0.0.0",
            "--port",
            "9201",
            "--advertise",
            "$(POD_IP)",
            "--http-port",
            "10201",
            "--model",
            "$(MESH_MODEL)",
            "--tokenizer",
            "$(MESH_TOKENIZER)",
            "--level",
            "$(MESH_CODEC_LEVEL)",
            "--redis",
            "redis://redis:6379",
            "--kafka",
            "kafka:9092",
            "--credential-file",
            "/var/run/secrets/coemesh/mesh-credential/token",
            "--lifeline",
            "none",
            "--drain-s",
            "60",
            "--prefill-peers",
            "$(MESH_PREFILL_PEERS)"),
        worker.getArgs());
    assertEquals(
        Map.of(
            "POD_NAME", "metadata.name",
            "POD_IP", "status.podIP",
            "OTEL_SDK_DISABLED", "false",
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4318",
            "OTEL_SERVICE_NAME", "coemesh-worker"),
        env(worker));
    assertEquals("grpc", worker.getStartupProbe().getTcpSocket().getPort().getStrVal());
    assertEquals("/health/live", worker.getLivenessProbe().getHttpGet().getPath());
    assertEquals("/health/ready", worker.getReadinessProbe().getHttpGet().getPath());
    assertEquals("http", worker.getReadinessProbe().getHttpGet().getPort().getStrVal());
    assertEquals(
        "true",
        d.getSpec().getTemplate().getMetadata().getLabels().get("coemesh.dev/openai"),
        "a colocated pod answers the OpenAI API: the mesh-wide InferencePool selects it");
    assertEquals(Boolean.TRUE, worker.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(Boolean.FALSE, worker.getSecurityContext().getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), worker.getSecurityContext().getCapabilities().getDrop());
    assertEquals("768Mi", worker.getResources().getLimits().get("memory").toString());
    assertEquals("1", worker.getResources().getRequests().get("cpu").toString());
    assertEquals(
        List.of(
            "models:/models",
            "tmp:/tmp",
            "mesh-credential:/var/run/secrets/coemesh/mesh-credential"),
        worker.getVolumeMounts().stream().map(m -> m.getName() + ":" + m.getMountPath()).toList());
    Volume fetchScript =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals("model-fetch"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        List.of("model-fetch", "stories-models"),
        fetchScript.getProjected().getSources().stream()
            .map(s -> s.getConfigMap().getName())
            .toList());

    ConfigMap settings = configMap(ns, "stories-colocated");
    assertOwnedBy(settings, stories);
    assertEquals(
        Map.of(
            "MESH_EXPERT", "stories",
            "MESH_ROLE", "colocated",
            "MESH_MODEL", "/models/stories260K.bin",
            "MESH_TOKENIZER", "/models/tok512.bin",
            "MESH_CODEC_LEVEL", "auto",
            "MESH_PREFILL_PEERS", OperatorConfig.DEFAULT_PREFILL_PEERS),
        settings.getData());
    assertEquals("100ms", settings.getMetadata().getAnnotations().get("coemesh.dev/slo-tpot"));
    assertEquals(
        "stories260K.bin "
            + Experts.STORIES_MODEL
            + " "
            + Experts.STORIES_SHA
            + "\n"
            + "tok512.bin "
            + Experts.STORIES_TOKENIZER
            + " -\n",
        configMap(ns, "stories-models").getData().get("models.txt"));

    Service service = client.services().inNamespace(ns).withName("stories-colocated").get();
    assertOwnedBy(service, stories);
    assertEquals("None", service.getSpec().getClusterIP());
    assertEquals(selector, service.getSpec().getSelector());
    assertEquals(
        List.of("grpc:9201", "http:10201"),
        service.getSpec().getPorts().stream().map(p -> p.getName() + ":" + p.getPort()).toList());

    GenericKubernetesResource inferencePool = pool(ns, "stories");
    assertNotNull(inferencePool);
    assertEquals("inference.networking.k8s.io/v1", inferencePool.getApiVersion());
    assertOwnedBy(inferencePool, stories);
    assertEquals(
        Map.of(
            "selector", Map.of("matchLabels", selector),
            "targetPorts", List.of(Map.of("number", 10201)),
            "endpointPickerRef",
                Map.of(
                    "kind",
                    "Service",
                    "name",
                    "router-epp",
                    "port",
                    Map.of("number", 9002),
                    "failureMode",
                    "FailClose")),
        inferencePool.getAdditionalProperties().get("spec"));

    RoutingConfig routing = routing(ns);
    ExpertId id = new ExpertId("stories");
    assertEquals(
        Map.of(
            "creative",
            new RoutingConfig.Route.Single(id),
            "chat",
            new RoutingConfig.Route.Single(id)),
        routing.routes());
    assertEquals(id, routing.fallbackExpert());
    assertEquals(
        List.of("creative", "chat"),
        routing.categories().stream()
            .map(RoutingConfig.Category::name)
            .sorted(java.util.Comparator.reverseOrder())
            .toList());
    assertEquals(
        new RoutingConfig.ModelSource.Embedded("stories260K.bin", "tok512.bin"),
        routing.expert(id).source());
    assertEquals(
        512, routing.expert(id).contextLength(), "the base's settings of a known expert are kept");

    awaitAsserted(
        () -> {
          Expert e = get(ns, "stories");
          assertEquals(e.getMetadata().getGeneration(), e.getStatus().observedGeneration());
          assertEquals(
              ExpertCondition.Status.FALSE,
              condition(e, ExpertCondition.Type.INVALID_SPEC).status());
          ExpertCondition ready = condition(e, ExpertCondition.Type.READY);
          assertEquals(ExpertCondition.Status.FALSE, ready.status());
          assertEquals("colocated 0/2 ready", ready.message());
          assertEquals(
              ExpertCondition.Status.TRUE, condition(e, ExpertCondition.Type.DEGRADED).status());
          assertEquals(0, e.getStatus().replicas().colocated());
        });

    // the pods come up: the status follows the Deployment's readyReplicas
    Deployment ready = deployment(ns, "stories-colocated");
    ready.setStatus(new DeploymentStatusBuilder().withReplicas(2).withReadyReplicas(2).build());
    client.resource(ready).updateStatus();
    awaitAsserted(
        () -> {
          Expert e = get(ns, "stories");
          assertEquals(
              ExpertCondition.Status.TRUE, condition(e, ExpertCondition.Type.READY).status());
          assertEquals("MinimumReplicasReady", condition(e, ExpertCondition.Type.READY).reason());
          assertEquals(
              ExpertCondition.Status.FALSE, condition(e, ExpertCondition.Type.DEGRADED).status());
          assertEquals(2, e.getStatus().replicas().colocated());
          assertNull(e.getStatus().replicas().decode());
        });
  }

  @Test
  void aDisaggregatedExpertGetsPrefillAndDecodePoolsAndTwoExpertsShareTheRoutingConfig() {
    String ns = "disaggregated";
    Expert coder = create(Experts.coder(ns));
    create(Experts.stories(ns));

    awaitAsserted(
        () -> {
          assertNotNull(pool(ns, "coder"));
          assertNotNull(pool(ns, "stories"));
          assertEquals(2, routing(ns).experts().size());
        });
    Deployment prefill = deployment(ns, "coder-prefill");
    Deployment decode = deployment(ns, "coder-decode");
    assertNull(deployment(ns, "coder-colocated"));
    assertEquals(1, prefill.getSpec().getReplicas());
    assertEquals(2, decode.getSpec().getReplicas());
    assertEquals("8", decode.getMetadata().getAnnotations().get("coemesh.dev/replicas-max"));
    assertOwnedBy(prefill, coder);
    assertOwnedBy(decode, coder);
    for (Deployment d : List.of(prefill, decode)) {
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      assertTrue(pod.getInitContainers().isEmpty(), "a volume claim needs no download");
      assertNull(
          d.getSpec().getTemplate().getMetadata().getLabels().get("coemesh.dev/downloads-models"));
      Volume claim =
          pod.getVolumes().stream()
              .filter(v -> v.getName().equals("model-coemesh-models"))
              .findFirst()
              .orElseThrow();
      assertEquals("coemesh-models", claim.getPersistentVolumeClaim().getClaimName());
      assertEquals(Boolean.TRUE, claim.getPersistentVolumeClaim().getReadOnly());
      VolumeMount mount =
          pod.getContainers().getFirst().getVolumeMounts().stream()
              .filter(m -> m.getName().equals("model-coemesh-models"))
              .findFirst()
              .orElseThrow();
      assertEquals("/models/coemesh-models", mount.getMountPath());
      assertEquals(
          "2", pod.getContainers().getFirst().getResources().getRequests().get("cpu").toString());
    }
    assertEquals(
        Map.of(
            "MESH_EXPERT", "coder",
            "MESH_ROLE", "prefill",
            "MESH_MODEL", "/models/coemesh-models/stories260K.bin",
            "MESH_TOKENIZER", "/models/coemesh-models/tok512.bin",
            "MESH_CODEC_LEVEL", "2",
            "MESH_PREFILL_PEERS", OperatorConfig.DEFAULT_PREFILL_PEERS),
        configMap(ns, "coder-prefill").getData());
    assertEquals("decode", configMap(ns, "coder-decode").getData().get("MESH_ROLE"));
    assertNull(configMap(ns, "coder-models"), "no download list for a volume claim");
    assertNotNull(client.services().inNamespace(ns).withName("coder-prefill").get());
    assertNotNull(client.services().inNamespace(ns).withName("coder-decode").get());

    @SuppressWarnings("unchecked")
    Map<String, Object> spec =
        (Map<String, Object>) pool(ns, "coder").getAdditionalProperties().get("spec");
    assertEquals(
        Map.of(
            "matchLabels",
            Map.of(
                "app.kubernetes.io/name",
                "worker",
                "coemesh.dev/expert",
                "coder",
                "coemesh.dev/role",
                "decode")),
        spec.get("selector"),
        "decode pods answer OpenAI HTTP for a disaggregated expert");
    assertNull(
        deployment(ns, "coder-prefill")
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels()
            .get("coemesh.dev/openai"),
        "prefill pods answer no OpenAI request");
    assertEquals(
        "true",
        deployment(ns, "coder-decode")
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels()
            .get("coemesh.dev/openai"));

    // one pool over every expert's OpenAI pods, for routes the endpoint picker routes by category
    awaitAsserted(
        () -> {
          GenericKubernetesResource mesh = pool(ns, "coemesh");
          assertNotNull(mesh);
          assertEquals(
              List.of("coder", "stories"),
              mesh.getMetadata().getOwnerReferences().stream()
                  .map(o -> o.getName())
                  .sorted()
                  .toList());
          @SuppressWarnings("unchecked")
          Map<String, Object> meshSpec =
              (Map<String, Object>) mesh.getAdditionalProperties().get("spec");
          assertEquals(
              Map.of(
                  "matchLabels",
                  Map.of(
                      "app.kubernetes.io/name",
                      "worker",
                      "app.kubernetes.io/managed-by",
                      "coemesh-operator",
                      "coemesh.dev/openai",
                      "true")),
              meshSpec.get("selector"));
          assertEquals(List.of(Map.of("number", 10201)), meshSpec.get("targetPorts"));
        });

    RoutingConfig routing = routing(ns);
    assertEquals(
        new RoutingConfig.Route.Single(new ExpertId("coder")), routing.routes().get("code"));
    assertEquals(
        new RoutingConfig.Route.Single(new ExpertId("stories")), routing.routes().get("chat"));
    assertEquals(3, routing.routes().size());
    assertEquals(
        dev.coemesh.core.expert.ServingMode.DISAGGREGATED,
        routing.expert(new ExpertId("coder")).mode());
    assertEquals(new ExpertId("stories"), routing.fallbackExpert(), "the expert serving chat");
    ConfigMap routingMap = configMap(ns, "coemesh-routing");
    assertEquals(
        List.of("coder", "stories"),
        routingMap.getMetadata().getOwnerReferences().stream()
            .map(OwnerReference::getName)
            .sorted()
            .toList(),
        "owned by every Expert it routes to");
    assertTrue(
        routingMap.getMetadata().getOwnerReferences().stream()
            .noneMatch(r -> Boolean.TRUE.equals(r.getController())));
    assertEquals(
        STORIES_FILES,
        configMap(ns, "coemesh-gateway-models").getData().get("models.txt"),
        "a claim's files are not downloaded by the gateways");
  }

  /** The gateways' models.txt for the stories Expert alone. */
  private static final String STORIES_FILES =
      "stories260K.bin "
          + Experts.STORIES_MODEL
          + " "
          + Experts.STORIES_SHA
          + "\ntok512.bin "
          + Experts.STORIES_TOKENIZER
          + " -\n";

  /** The base's gateway Deployment, as kustomize applies it to {@code ns}. */
  private static Deployment createGateway(String ns) throws Exception {
    try (InputStream yaml = Files.newInputStream(Path.of("../k8s/base/gateway/deployment.yaml"))) {
      Deployment gateway = client.getKubernetesSerialization().unmarshal(yaml, Deployment.class);
      gateway.getMetadata().setNamespace(ns);
      return client.resource(gateway).create();
    }
  }

  private static String expertsHash(String ns) {
    Map<String, String> annotations =
        deployment(ns, "gateway").getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get("coemesh.dev/experts-hash");
  }

  private static String gatewayFiles(String ns) {
    ConfigMap cm = configMap(ns, "coemesh-gateway-models");
    return cm == null ? null : cm.getData().get("models.txt");
  }

  /** Waits for {@code n} more reconciles (the operator resyncs every second). */
  private static void awaitReconciles(int n) {
    long start = reconciler.reconciles();
    await().atMost(Duration.ofSeconds(20)).until(() -> reconciler.reconciles() >= start + n);
  }

  @Test
  void theGatewaysGetEveryExpertsFilesAndRollOnlyWhenTheExpertSetChanges() throws Exception {
    String ns = "gateway-roll";
    Deployment original = createGateway(ns);
    Expert stories = create(Experts.stories(ns));
    awaitAsserted(
        () -> {
          assertEquals(STORIES_FILES, gatewayFiles(ns));
          assertNotNull(expertsHash(ns));
        });
    String storiesOnly = expertsHash(ns);
    ConfigMap files = configMap(ns, "coemesh-gateway-models");
    assertEquals(
        List.of("stories"),
        files.getMetadata().getOwnerReferences().stream().map(OwnerReference::getName).toList());
    assertNull(files.getMetadata().getOwnerReferences().getFirst().getController());
    assertEquals(
        stories.getMetadata().getUid(),
        files.getMetadata().getOwnerReferences().getFirst().getUid());
    Deployment rolled = deployment(ns, "gateway");
    assertEquals(
        Map.of("coemesh.dev/experts-hash", storiesOnly),
        rolled.getSpec().getTemplate().getMetadata().getAnnotations(),
        "the one annotation the patch sets");
    assertEquals(
        original.getSpec().getTemplate().getSpec(),
        rolled.getSpec().getTemplate().getSpec(),
        "the rest of the gateway is left as it was");
    assertEquals(original.getMetadata().getLabels(), rolled.getMetadata().getLabels());
    assertTrue(rolled.getMetadata().getOwnerReferences().isEmpty(), "not taken over");

    // a second Expert with another model file: both lists, a new digest
    String writerModel = "https://models.example.com/stories15M.bin";
    create(
        Experts.expert(
            ns,
            "writer",
            Experts.withCategories(
                Experts.withModel(
                    Experts.stories(ns).getSpec(),
                    new ModelSource(writerModel, Experts.STORIES_TOKENIZER, null)),
                List.of("code"))));
    String both = "stories15M.bin " + writerModel + " -\n" + STORIES_FILES;
    awaitAsserted(
        () -> {
          assertEquals(both, gatewayFiles(ns));
          assertNotEquals(storiesOnly, expertsHash(ns));
          assertEquals(2, routing(ns).experts().size());
        });
    String twoExperts = expertsHash(ns);
    assertEquals(
        List.of("stories", "writer"),
        configMap(ns, "coemesh-gateway-models").getMetadata().getOwnerReferences().stream()
            .map(OwnerReference::getName)
            .sorted()
            .toList());

    // a route change only: the gateways reload it live, so they are not rolled
    String gatewayVersion = deployment(ns, "gateway").getMetadata().getResourceVersion();
    edit(ns, "writer", spec -> Experts.withCategories(spec, List.of("math")));
    awaitAsserted(
        () ->
            assertEquals(
                new RoutingConfig.Route.Single(new ExpertId("writer")),
                routing(ns).routes().get("math")));
    awaitReconciles(4);
    assertNull(routing(ns).routes().get("code"));
    assertEquals(twoExperts, expertsHash(ns));
    assertEquals(
        gatewayVersion,
        deployment(ns, "gateway").getMetadata().getResourceVersion(),
        "a route change writes nothing to the gateway");
    assertEquals(both, gatewayFiles(ns));

    // the second Expert goes: back to the first one's files and digest
    client.resources(Expert.class).inNamespace(ns).withName("writer").delete();
    awaitAsserted(
        () -> {
          assertNull(get(ns, "writer"));
          assertEquals(STORIES_FILES, gatewayFiles(ns));
          assertEquals(storiesOnly, expertsHash(ns), "the digest is the expert set's alone");
        });

    // the last goes: the list goes with it, and the gateway is not rolled to a set it cannot start
    client.resources(Expert.class).inNamespace(ns).withName("stories").delete();
    awaitAsserted(() -> assertNull(configMap(ns, "coemesh-gateway-models")));
    assertEquals(storiesOnly, expertsHash(ns));
  }

  @Test
  void withoutAGatewayDeploymentTheExpertIsServedAllTheSame() {
    String ns = "no-gateway";
    create(Experts.stories(ns));
    awaitAsserted(
        () -> {
          assertEquals(STORIES_FILES, gatewayFiles(ns));
          assertEquals(
              ExpertCondition.Status.FALSE,
              condition(get(ns, "stories"), ExpertCondition.Type.INVALID_SPEC).status());
          assertEquals(0, get(ns, "stories").getStatus().replicas().colocated());
        });
    assertNull(deployment(ns, "gateway"), "a missing gateway is not created");
  }

  @Test
  void aSecondFileOfTheSameNameIsRefused() throws Exception {
    String ns = "file-conflict";
    createGateway(ns);
    create(Experts.stories(ns));
    awaitAsserted(() -> assertNotNull(expertsHash(ns)));
    String storiesOnly = expertsHash(ns);
    String mirror = "https://mirror.example.com/stories260K.bin";
    create(
        Experts.expert(
            ns,
            "tale-mirror",
            Experts.withCategories(
                Experts.withModel(
                    Experts.stories(ns).getSpec(),
                    new ModelSource(mirror, Experts.STORIES_TOKENIZER, null)),
                List.of("code"))));
    awaitAsserted(
        () -> {
          ExpertCondition invalid =
              condition(get(ns, "tale-mirror"), ExpertCondition.Type.INVALID_SPEC);
          assertEquals(ExpertCondition.Status.TRUE, invalid.status());
          assertEquals("ModelFileConflict", invalid.reason());
          assertEquals(
              "spec.model: the gateways load stories260K.bin of Expert stories from "
                  + Experts.STORIES_MODEL
                  + " (sha256 "
                  + Experts.STORIES_SHA
                  + "); this Expert names another file of that name ("
                  + mirror
                  + ", sha256 -)",
              invalid.message());
        });
    assertNull(deployment(ns, "tale-mirror-colocated"), "nothing is created for it");
    assertEquals(STORIES_FILES, gatewayFiles(ns));
    assertEquals(1, routing(ns).experts().size());
    assertEquals(storiesOnly, expertsHash(ns));
  }

  private static Expert edit(
      String ns, String name, java.util.function.UnaryOperator<ExpertSpec> change) {
    return client
        .resources(Expert.class)
        .inNamespace(ns)
        .withName(name)
        .edit(
            e -> {
              e.setSpec(change.apply(e.getSpec()));
              return e;
            });
  }

  private static List<HasMetadata> objectsOf(String ns) {
    return Stream.<HasMetadata>concat(
            Stream.concat(
                client.apps().deployments().inNamespace(ns).list().getItems().stream(),
                client.services().inNamespace(ns).list().getItems().stream()),
            Stream.concat(
                client.configMaps().inNamespace(ns).list().getItems().stream(),
                client
                    .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
                    .inNamespace(ns)
                    .list()
                    .getItems()
                    .stream()))
        .toList();
  }

  private static List<String> namesOf(String ns) {
    return objectsOf(ns).stream()
        .map(o -> o.getKind() + "/" + o.getMetadata().getName())
        .sorted()
        .toList();
  }

  private static Map<String, String> resourceVersions(String ns) {
    Map<String, String> versions = new TreeMap<>();
    objectsOf(ns)
        .forEach(
            o ->
                versions.put(
                    o.getKind() + "/" + o.getMetadata().getName(),
                    o.getMetadata().getResourceVersion()));
    client
        .resources(Expert.class)
        .inNamespace(ns)
        .list()
        .getItems()
        .forEach(
            e ->
                versions.put(
                    "Expert/" + e.getMetadata().getName(), e.getMetadata().getResourceVersion()));
    return versions;
  }

  @Test
  void sloReplicaBoundsAndModelChangesReachTheOwnedObjects() {
    String ns = "update";
    create(Experts.stories(ns));
    awaitAsserted(() -> assertNotNull(get(ns, "stories").getStatus()));
    Deployment before = deployment(ns, "stories-colocated");
    String settingsHash =
        before
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getAnnotations()
            .get("coemesh.dev/settings-hash");

    edit(
        ns,
        "stories",
        spec ->
            new ExpertSpec(
                new ModelSource(
                    "https://models.example.com/stories15M.bin", Experts.STORIES_TOKENIZER, null),
                List.of("creative"),
                spec.servingMode(),
                new Slo("1s", "50ms"),
                new ReplicaBounds(new PhaseReplicas(3, 9), null, null),
                "1",
                spec.resources()));

    awaitAsserted(
        () -> {
          Deployment d = deployment(ns, "stories-colocated");
          assertEquals(3, d.getSpec().getReplicas());
          assertEquals("3", d.getMetadata().getAnnotations().get("coemesh.dev/replicas-min"));
          assertEquals("9", d.getMetadata().getAnnotations().get("coemesh.dev/replicas-max"));
          assertEquals("1s", d.getMetadata().getAnnotations().get("coemesh.dev/slo-ttft"));
          assertEquals("50ms", d.getMetadata().getAnnotations().get("coemesh.dev/slo-tpot"));
        });
    Deployment after = deployment(ns, "stories-colocated");
    assertNotEquals(
        settingsHash,
        after
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getAnnotations()
            .get("coemesh.dev/settings-hash"),
        "a settings change changes the pod template: the Deployment rolls");
    ConfigMap settings = configMap(ns, "stories-colocated");
    assertEquals("/models/stories15M.bin", settings.getData().get("MESH_MODEL"));
    assertEquals("1", settings.getData().get("MESH_CODEC_LEVEL"));
    assertEquals("1s", settings.getMetadata().getAnnotations().get("coemesh.dev/slo-ttft"));
    assertTrue(
        configMap(ns, "stories-models")
            .getData()
            .get("models.txt")
            .startsWith("stories15M.bin https://models.example.com/stories15M.bin -\n"));
    RoutingConfig routing = routing(ns);
    assertEquals(List.of("creative"), List.copyOf(routing.routes().keySet()));
    assertEquals(
        new RoutingConfig.ModelSource.Embedded("stories15M.bin", "tok512.bin"),
        routing.expert(new ExpertId("stories")).source());
    awaitAsserted(
        () -> {
          Expert e = get(ns, "stories");
          assertEquals(2L, e.getMetadata().getGeneration());
          assertEquals(2L, e.getStatus().observedGeneration());
        });
  }

  @Test
  void deletingAnExpertRemovesItsObjectsAndItsRoutes() {
    String ns = "delete";
    create(Experts.stories(ns));
    create(Experts.coder(ns));
    awaitAsserted(() -> assertEquals(2, routing(ns).experts().size()));
    assertTrue(namesOf(ns).contains("Deployment/coder-prefill"));
    assertEquals(
        List.of("experts.coemesh.dev/finalizer"), get(ns, "coder").getMetadata().getFinalizers());

    client.resources(Expert.class).inNamespace(ns).withName("coder").delete();
    awaitAsserted(
        () -> {
          assertNull(get(ns, "coder"));
          assertEquals(
              List.of(
                  "ConfigMap/coemesh-gateway-models",
                  "ConfigMap/coemesh-routing",
                  "ConfigMap/stories-colocated",
                  "ConfigMap/stories-models",
                  "Deployment/stories-colocated",
                  "InferencePool/coemesh",
                  "InferencePool/stories",
                  "Service/stories-colocated"),
              namesOf(ns));
          assertEquals(
              List.of(new ExpertId("stories")),
              routing(ns).experts().stream().map(RoutingConfig.Expert::name).toList());
        });

    client.resources(Expert.class).inNamespace(ns).withName("stories").delete();
    awaitAsserted(
        () -> {
          assertNull(get(ns, "stories"));
          assertEquals(List.of(), namesOf(ns), "the last Expert takes the routing config with it");
        });
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> invalidExperts() {
    ExpertSpec stories = Experts.stories("x").getSpec();
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of(
            "s3-model",
            Experts.withModel(stories, new ModelSource("s3://bucket/stories260K.bin", null, null)),
            "UnsupportedModelSource",
            "spec.model.uri: only https://, pvc://CLAIM/PATH and synthetic:SHAPE models are served, got s3://bucket/stories260K.bin"),
        org.junit.jupiter.params.provider.Arguments.of(
            "colocated-prefill",
            new ExpertSpec(
                stories.model(),
                stories.categories(),
                stories.servingMode(),
                stories.slo(),
                new ReplicaBounds(null, new PhaseReplicas(1, 2), null),
                null,
                null),
            "ReplicasMissing",
            "spec.replicas.colocated: a colocated expert needs its bounds"),
        org.junit.jupiter.params.provider.Arguments.of(
            "min-above-max",
            new ExpertSpec(
                stories.model(),
                stories.categories(),
                stories.servingMode(),
                stories.slo(),
                new ReplicaBounds(new PhaseReplicas(5, 2), null, null),
                null,
                null),
            "InvalidReplicaBounds",
            "spec.replicas: 0 <= min <= max, 1 <= max <= 256, got colocated 5..2"),
        org.junit.jupiter.params.provider.Arguments.of(
            "unknown-category",
            Experts.withCategories(stories, List.of("chat", "astrology")),
            "UnknownCategory",
            "spec.categories: astrology is not defined by the base routing config"));
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("invalidExperts")
  void anInvalidExpertGetsInvalidSpecAndNothingElse(
      String ns, ExpertSpec spec, String reason, String message) {
    create(Experts.expert(ns, "stories", spec));
    awaitAsserted(
        () -> {
          ExpertCondition invalid =
              condition(get(ns, "stories"), ExpertCondition.Type.INVALID_SPEC);
          assertNotNull(invalid);
          assertEquals(ExpertCondition.Status.TRUE, invalid.status());
          assertEquals(reason, invalid.reason());
          assertTrue(invalid.message().startsWith(message), invalid.message());
        });
    Expert e = get(ns, "stories");
    assertEquals("NothingCreated", condition(e, ExpertCondition.Type.READY).reason());
    assertEquals(ExpertCondition.Status.FALSE, condition(e, ExpertCondition.Type.READY).status());
    assertEquals(List.of(), namesOf(ns), "nothing is created for an invalid Expert");
  }

  @Test
  void aCategoryClaimedTwiceStaysWithTheFirstExpertUntilItGoes() {
    String ns = "claims";
    ExpertSpec spec = Experts.withCategories(Experts.stories(ns).getSpec(), List.of("code"));
    create(Experts.expert(ns, "alpha", spec));
    awaitAsserted(() -> assertNotNull(configMap(ns, "coemesh-routing")));
    create(Experts.expert(ns, "beta", spec));
    awaitAsserted(
        () -> {
          ExpertCondition invalid = condition(get(ns, "beta"), ExpertCondition.Type.INVALID_SPEC);
          assertNotNull(invalid);
          assertEquals(ExpertCondition.Status.TRUE, invalid.status());
          assertEquals("CategoryClaimed", invalid.reason());
          assertEquals(
              "spec.categories: code is already served by Expert alpha", invalid.message());
        });
    assertTrue(namesOf(ns).stream().noneMatch(n -> n.contains("beta")), namesOf(ns).toString());
    assertEquals(
        new RoutingConfig.Route.Single(new ExpertId("alpha")), routing(ns).routes().get("code"));

    // alpha gives the category up by going: beta is reconciled again and takes it
    client.resources(Expert.class).inNamespace(ns).withName("alpha").delete();
    awaitAsserted(
        () -> {
          assertEquals(
              ExpertCondition.Status.FALSE,
              condition(get(ns, "beta"), ExpertCondition.Type.INVALID_SPEC).status());
          assertNotNull(deployment(ns, "beta-colocated"));
          assertEquals(
              new RoutingConfig.Route.Single(new ExpertId("beta")),
              routing(ns).routes().get("code"));
        });
  }

  @Test
  @SuppressWarnings("unchecked")
  void reconcilingAgainChangesNothing() {
    String ns = "idempotent";
    create(Experts.stories(ns));
    create(Experts.coder(ns));
    // settled: each status reports the pools it has (the Deployments reached the cache)
    awaitAsserted(
        () -> {
          assertEquals(0, get(ns, "stories").getStatus().replicas().colocated());
          assertEquals(0, get(ns, "coder").getStatus().replicas().prefill());
          assertEquals(0, get(ns, "coder").getStatus().replicas().decode());
          assertEquals(2, routing(ns).experts().size());
        });
    // and settled: nothing written for a whole resync period (a write in flight, a finalizer patch
    // retried after a conflict, lands first)
    Map<String, String>[] last = new Map[] {resourceVersions(ns)};
    await()
        .atMost(Duration.ofSeconds(20))
        .pollDelay(RESYNC.multipliedBy(2))
        .pollInterval(RESYNC.multipliedBy(2))
        .until(
            () -> {
              Map<String, String> now = resourceVersions(ns);
              boolean stable = now.equals(last[0]);
              last[0] = now;
              return stable;
            });
    Map<String, String> settled = resourceVersions(ns);
    long reconciled = reconciler.reconciles();
    // the operator resyncs every second: let both Experts be reconciled a few more times
    await().atMost(Duration.ofSeconds(20)).until(() -> reconciler.reconciles() >= reconciled + 6);
    assertEquals(settled, resourceVersions(ns));
    assertEquals(17, settled.size(), settled.toString());
  }

  @Test
  void anExpertTurningInvalidKeepsServingItsLastValidSpec() {
    String ns = "turns-invalid";
    create(Experts.stories(ns));
    awaitAsserted(() -> assertNotNull(get(ns, "stories").getStatus()));
    Map<String, String> served = resourceVersions(ns);
    served.remove("Expert/stories");

    edit(
        ns,
        "stories",
        spec ->
            Experts.withModel(spec, new ModelSource("http://plain.example.com/m.bin", null, null)));
    awaitAsserted(
        () -> {
          ExpertCondition invalid =
              condition(get(ns, "stories"), ExpertCondition.Type.INVALID_SPEC);
          assertEquals(ExpertCondition.Status.TRUE, invalid.status());
          assertEquals("UnsupportedModelSource", invalid.reason());
          assertTrue(
              condition(get(ns, "stories"), ExpertCondition.Type.READY)
                  .message()
                  .endsWith("(serving the last valid spec)"));
        });
    Map<String, String> now = resourceVersions(ns);
    now.remove("Expert/stories");
    assertEquals(served, now, "the objects of the last valid spec are left as they were");
    assertEquals(new ExpertId("stories"), routing(ns).fallbackExpert());
    assertEquals(
        new RoutingConfig.ModelSource.Embedded("stories260K.bin", "tok512.bin"),
        routing(ns).expert(new ExpertId("stories")).source());
  }

  @Test
  void aDeletedOwnedObjectIsPutBack() {
    String ns = "drift";
    create(Experts.stories(ns));
    awaitAsserted(() -> assertNotNull(get(ns, "stories").getStatus()));
    String uid =
        client
            .services()
            .inNamespace(ns)
            .withName("stories-colocated")
            .get()
            .getMetadata()
            .getUid();
    client.services().inNamespace(ns).withName("stories-colocated").delete();
    client.configMaps().inNamespace(ns).withName("stories-colocated").delete();
    awaitAsserted(
        () -> {
          Service service = client.services().inNamespace(ns).withName("stories-colocated").get();
          assertNotNull(service);
          assertNotEquals(uid, service.getMetadata().getUid());
          assertEquals("stories", configMap(ns, "stories-colocated").getData().get("MESH_EXPERT"));
        });
  }
}
