package dev.coemesh.k8s.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.k8s.manifests.Rendered.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The properties every overlay must have, checked on what kubectl renders: each workload probed,
 * sized, non-root on a read-only root filesystem, drained gracefully, covered by a disruption
 * budget; traffic limited by NetworkPolicies to the mesh's own flows; no role bound, no token
 * mounted; secrets only by reference. Overlay-specific shapes are in {@link DevOverlayTest} and
 * {@link ProdOverlayTest}.
 */
class ManifestsTest {
  static final String NAMESPACE = "coemesh";

  /** k8s/operator, rendered and checked like an overlay (it is applied on top of one). */
  static final String OPERATOR = "operator";

  /** The overlays of the distributed mesh, whose Secrets are created outside git. */
  static final Set<String> PROD_LIKE = Set.of("prod", "operated");

  private static final Map<String, Rendered> RENDERED = new HashMap<>();

  static synchronized Rendered rendered(String overlay) throws Exception {
    Rendered r = RENDERED.get(overlay);
    if (r == null) {
      r =
          overlay.equals(OPERATOR)
              ? Rendered.render(OPERATOR, Rendered.K8S.resolve(OPERATOR))
              : Rendered.overlay(overlay);
      RENDERED.put(overlay, r);
      System.out.println(overlay + " renders:");
      r.objects().forEach(o -> System.out.println("  " + Rendered.describe(o)));
    }
    return r;
  }

  private static void assertNone(List<String> violations, String what) {
    assertEquals(List.of(), violations, what);
  }

  private static Stream<Container> allContainers(PodSpec pod) {
    return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyObjectIsInTheMeshNamespaceAndTheCrdIsInstalled(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    List<String> violations = new ArrayList<>();
    for (HasMetadata o : r.objects()) {
      boolean clusterScoped = o instanceof Namespace || o instanceof CustomResourceDefinition;
      if (!clusterScoped && !NAMESPACE.equals(o.getMetadata().getNamespace())) {
        violations.add(Rendered.describe(o) + " in " + o.getMetadata().getNamespace());
      }
    }
    assertNone(violations, "objects outside namespace " + NAMESPACE);
    // the operator is applied on top of an overlay, which installs the CRD
    assertEquals(
        !overlay.equals(OPERATOR),
        r.named(CustomResourceDefinition.class, "experts.coemesh.dev").isPresent());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyContainerIsProbedAndSized(String overlay) throws Exception {
    List<String> violations = new ArrayList<>();
    for (Workload w : rendered(overlay).workloads()) {
      PodSpec pod = w.template().getSpec();
      for (Container c : pod.getContainers()) {
        if (c.getStartupProbe() == null
            || c.getLivenessProbe() == null
            || c.getReadinessProbe() == null) {
          violations.add(w.name() + "/" + c.getName() + ": startup, liveness and readiness probes");
        }
      }
      allContainers(pod)
          .filter(c -> !sized(c.getResources()))
          .forEach(
              c ->
                  violations.add(
                      w.name() + "/" + c.getName() + ": cpu and memory requests, memory limit"));
    }
    assertNone(violations, "probes and resources");
  }

  private static boolean sized(ResourceRequirements r) {
    return r != null
        && r.getRequests().containsKey("cpu")
        && r.getRequests().containsKey("memory")
        && r.getLimits().containsKey("memory")
        // a memory request below the limit lets the node overcommit what the JVM heap will use
        && Quantity.getAmountInBytes(r.getRequests().get("memory"))
            .equals(Quantity.getAmountInBytes(r.getLimits().get("memory")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyPodRunsNonRootOnAReadOnlyRootFilesystem(String overlay) throws Exception {
    List<String> violations = new ArrayList<>();
    for (Workload w : rendered(overlay).workloads()) {
      PodSecurityContext pod = w.template().getSpec().getSecurityContext();
      if (pod == null
          || !Boolean.TRUE.equals(pod.getRunAsNonRoot())
          || pod.getRunAsUser() == null
          || pod.getRunAsUser() == 0
          || pod.getSeccompProfile() == null
          || !"RuntimeDefault".equals(pod.getSeccompProfile().getType())) {
        violations.add(
            w.name() + ": pod runAsNonRoot, a non-zero runAsUser, RuntimeDefault seccomp");
      }
      allContainers(w.template().getSpec())
          .filter(c -> !locked(c.getSecurityContext()))
          .forEach(
              c -> violations.add(w.name() + "/" + c.getName() + ": container securityContext"));
    }
    assertNone(violations, "security contexts");
  }

  private static boolean locked(SecurityContext c) {
    return c != null
        && Boolean.TRUE.equals(c.getReadOnlyRootFilesystem())
        && Boolean.FALSE.equals(c.getAllowPrivilegeEscalation())
        && !Boolean.TRUE.equals(c.getPrivileged())
        && (c.getRunAsUser() == null || c.getRunAsUser() != 0)
        && c.getCapabilities() != null
        && c.getCapabilities().getDrop().contains("ALL")
        && c.getCapabilities().getAdd().isEmpty();
  }

  /**
   * A pod behind a Service leaves it first: a preStop sleep while endpoints and proxies drop it,
   * then the process's own graceful stop, all within the grace period. Quarkus apps stop within
   * QUARKUS_SHUTDOWN_TIMEOUT; workers, which no Service fronts, within their --drain-s.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyWorkloadDrainsWithinItsGracePeriod(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    List<String> violations = new ArrayList<>();
    for (Workload w : r.workloads()) {
      PodSpec pod = w.template().getSpec();
      long grace =
          pod.getTerminationGracePeriodSeconds() == null
              ? 30
              : pod.getTerminationGracePeriodSeconds();
      boolean fronted =
          r.all(Service.class).stream()
              .anyMatch(
                  s -> matches(s.getSpec().getSelector(), w.template().getMetadata().getLabels()));
      for (Container c : pod.getContainers()) {
        long preStop =
            c.getLifecycle() == null || c.getLifecycle().getPreStop() == null
                ? 0
                : c.getLifecycle().getPreStop().getSleep() == null
                    ? 0
                    : c.getLifecycle().getPreStop().getSleep().getSeconds();
        long stop = ownStop(c);
        if (fronted && preStop <= 0) {
          violations.add(
              w.name() + "/" + c.getName() + ": behind a Service without a preStop sleep");
        }
        if (!fronted && c.getImage().startsWith("coemesh/worker:") && stop <= 0) {
          violations.add(w.name() + "/" + c.getName() + ": a worker without --drain-s");
        }
        if (preStop + stop >= grace) {
          violations.add(
              w.name()
                  + "/"
                  + c.getName()
                  + ": preStop "
                  + preStop
                  + " s + stop "
                  + stop
                  + " s >= grace "
                  + grace
                  + " s");
        }
      }
    }
    assertNone(violations, "graceful drain");
  }

  /** Seconds the container's process may take to stop once signalled, where it states them. */
  private static long ownStop(Container c) {
    for (EnvVar e : c.getEnv()) {
      if (e.getName().equals("QUARKUS_SHUTDOWN_TIMEOUT")) {
        assertTrue(e.getValue().matches("[0-9]+s"), e.getValue());
        return Long.parseLong(e.getValue().replace("s", ""));
      }
    }
    int drain = c.getArgs().indexOf("--drain-s");
    return drain < 0 ? 0 : Long.parseLong(c.getArgs().get(drain + 1));
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return selector != null
        && !selector.isEmpty()
        && labels.entrySet().containsAll(selector.entrySet());
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    assertTrue(selector.getMatchExpressions().isEmpty(), "matchExpressions are not used");
    return selector.getMatchLabels() == null
        || selector.getMatchLabels().isEmpty()
        || labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyWorkloadHasExactlyOneDisruptionBudget(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    List<String> violations = new ArrayList<>();
    for (Workload w : r.workloads()) {
      List<PodDisruptionBudget> budgets =
          r.all(PodDisruptionBudget.class).stream()
              .filter(p -> !p.getSpec().getSelector().getMatchLabels().isEmpty())
              .filter(
                  p -> matches(p.getSpec().getSelector(), w.template().getMetadata().getLabels()))
              .toList();
      if (budgets.size() != 1) {
        violations.add(w.name() + ": " + budgets.size() + " budgets");
      }
    }
    assertNone(violations, "PodDisruptionBudgets");
  }

  /**
   * Default deny both ways; then every allowed flow names its ports, which the pods on its
   * receiving side must expose, and (but for the gateway's public API) its peers.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated"})
  void networkPoliciesAllowOnlyTheMeshsFlows(String overlay) throws Exception {
    Rendered r = withOperatorPools(overlay);
    List<NetworkPolicy> policies = r.all(NetworkPolicy.class);
    NetworkPolicy deny = r.named(NetworkPolicy.class, "default-deny").orElseThrow();
    assertTrue(deny.getSpec().getPodSelector().getMatchLabels().isEmpty());
    assertEquals(Set.of("Ingress", "Egress"), Set.copyOf(deny.getSpec().getPolicyTypes()));
    assertTrue(deny.getSpec().getIngress().isEmpty() && deny.getSpec().getEgress().isEmpty());

    List<String> violations = new ArrayList<>();
    for (NetworkPolicy p : policies) {
      String name = p.getMetadata().getName();
      List<Workload> selected = selectedBy(r, p.getSpec().getPodSelector());
      for (var rule : p.getSpec().getIngress()) {
        if (rule.getPorts().isEmpty()) {
          violations.add(name + ": an ingress rule without ports");
        }
        if (rule.getFrom().isEmpty() && !name.equals("gateway-ingress")) {
          violations.add(name + ": an ingress rule open to every peer");
        }
        for (NetworkPolicyPort port : rule.getPorts()) {
          for (Workload w : selected) {
            if (!exposes(w, port)) {
              violations.add(
                  name
                      + ": ingress port "
                      + port.getPort().getIntVal()
                      + " not exposed by "
                      + w.name());
            }
          }
        }
      }
      for (var rule : p.getSpec().getEgress()) {
        if (rule.getPorts().isEmpty() || rule.getTo().isEmpty()) {
          violations.add(name + ": an egress rule without ports or peers");
        }
        for (NetworkPolicyPeer peer : rule.getTo()) {
          violations.addAll(egressPeerViolations(r, name, peer, rule.getPorts()));
        }
      }
    }
    for (Workload w : r.workloads()) {
      boolean ingressPolicy =
          policies.stream()
              .filter(p -> p != deny)
              .anyMatch(
                  p ->
                      !p.getSpec().getIngress().isEmpty()
                          && matches(
                              p.getSpec().getPodSelector(),
                              w.template().getMetadata().getLabels()));
      boolean fronted =
          r.all(Service.class).stream()
              .anyMatch(
                  s -> matches(s.getSpec().getSelector(), w.template().getMetadata().getLabels()));
      if (fronted && !ingressPolicy) {
        violations.add(w.name() + ": serves a Service but no policy lets anyone reach it");
      }
    }
    assertNone(violations, "NetworkPolicies");
  }

  /**
   * The operated overlay's flows reach worker pools that the operator makes; their pods are the
   * hand-written pools' (the operator's WorkerPodTemplateTest holds it to that), so prod's pools,
   * colocated, prefill and decode, stand in for them.
   */
  private static Rendered withOperatorPools(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    if (!overlay.equals("operated")) {
      return r;
    }
    List<HasMetadata> pools =
        rendered("prod").workloads().stream()
            .filter(w -> "worker".equals(w.template().getMetadata().getLabels().get(WORKER_LABEL)))
            .map(Workload::object)
            .toList();
    return r.plus(new Rendered("prod's worker pools", pools));
  }

  private static final String WORKER_LABEL = "app.kubernetes.io/name";

  private static List<Workload> selectedBy(Rendered r, LabelSelector selector) {
    return r.workloads().stream()
        .filter(w -> matches(selector, w.template().getMetadata().getLabels()))
        .toList();
  }

  private static boolean exposes(Workload w, NetworkPolicyPort port) {
    return w.template().getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts().stream())
        .map(ContainerPort::getContainerPort)
        .anyMatch(p -> p.equals(port.getPort().getIntVal()));
  }

  /**
   * An egress peer is a mesh pod that exposes the ports (checked when the overlay renders such
   * pods), the cluster DNS on 53, or, for model downloads only, HTTPS outside the private ranges.
   */
  private static List<String> egressPeerViolations(
      Rendered r, String policy, NetworkPolicyPeer peer, List<NetworkPolicyPort> ports) {
    List<String> violations = new ArrayList<>();
    List<Integer> numbers = ports.stream().map(p -> p.getPort().getIntVal()).toList();
    if (peer.getIpBlock() != null) {
      if (!policy.equals("model-download-egress") || !numbers.equals(List.of(443))) {
        violations.add(policy + ": an ipBlock peer other than the model download on 443");
      }
    } else if (peer.getNamespaceSelector() != null) {
      if (!Map.of("kubernetes.io/metadata.name", "kube-system")
              .equals(peer.getNamespaceSelector().getMatchLabels())
          || !Set.copyOf(numbers).equals(Set.of(53))) {
        violations.add(policy + ": another namespace than kube-system's DNS");
      }
    } else {
      List<Workload> targets = selectedBy(r, peer.getPodSelector());
      if (targets.isEmpty()) {
        violations.add(
            policy
                + ": egress to pods this overlay does not run: "
                + peer.getPodSelector().getMatchLabels());
      }
      for (Workload target : targets) {
        ports.stream()
            .filter(port -> !exposes(target, port))
            .forEach(
                port ->
                    violations.add(
                        policy
                            + ": egress port "
                            + port.getPort().getIntVal()
                            + " not exposed by "
                            + target.name()));
      }
    }
    return violations;
  }

  /** Nothing calls the Kubernetes API: no role, no binding, no mounted token, own accounts. */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated"})
  void rbacIsMinimal(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    List<String> violations = new ArrayList<>();
    r.objects().stream()
        .filter(o -> o.getKind().endsWith("Role") || o.getKind().endsWith("RoleBinding"))
        .forEach(o -> violations.add(Rendered.describe(o) + ": no role is needed"));
    for (ServiceAccount sa : r.all(ServiceAccount.class)) {
      if (!Boolean.FALSE.equals(sa.getAutomountServiceAccountToken())) {
        violations.add(Rendered.describe(sa) + ": automountServiceAccountToken must be false");
      }
    }
    for (Workload w : r.workloads()) {
      PodSpec pod = w.template().getSpec();
      String account = pod.getServiceAccountName();
      if (account == null
          || account.equals("default")
          || r.named(ServiceAccount.class, account).isEmpty()) {
        violations.add(w.name() + ": its own rendered ServiceAccount, not " + account);
      }
      if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
        violations.add(w.name() + ": automountServiceAccountToken must be false");
      }
    }
    assertNone(violations, "RBAC");
  }

  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(KEY|TOKEN|CREDENTIAL|PASSWORD|SECRET).*");

  /**
   * Keys and the mesh credential reach pods only from Secrets; prod and operated render no Secret
   * at all (their Secrets are created outside git, k8s/README.md), dev renders the ones it
   * references.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void secretsAreOnlyReferenced(String overlay) throws Exception {
    Rendered r = rendered(overlay);
    List<String> violations = new ArrayList<>();
    List<String> referenced = new ArrayList<>();
    for (Workload w : r.workloads()) {
      PodSpec pod = w.template().getSpec();
      allContainers(pod)
          .forEach(
              c -> {
                for (EnvVar e : c.getEnv()) {
                  if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    referenced.add(e.getValueFrom().getSecretKeyRef().getName());
                  } else if (SECRET_NAME.matcher(e.getName()).matches()
                      && !e.getName().endsWith("_FILE")) {
                    violations.add(
                        w.name() + "/" + c.getName() + ": " + e.getName() + " set in the manifest");
                  }
                }
                c.getEnvFrom().stream()
                    .filter(f -> f.getSecretRef() != null)
                    .forEach(f -> referenced.add(f.getSecretRef().getName()));
              });
      pod.getVolumes().stream()
          .map(Volume::getSecret)
          .filter(s -> s != null)
          .forEach(s -> referenced.add(s.getSecretName()));
    }
    Set<String> rendered =
        Set.copyOf(r.all(Secret.class).stream().map(s -> s.getMetadata().getName()).toList());
    Set<String> expectedExternal =
        PROD_LIKE.contains(overlay)
            ? Set.of("coemesh-api-keys", "coemesh-mesh-credential")
            : Set.of();
    for (String name : referenced) {
      if (!rendered.contains(name) && !expectedExternal.contains(name)) {
        violations.add("Secret " + name + " is neither rendered nor one of the documented ones");
      }
    }
    if (PROD_LIKE.contains(overlay)) {
      assertEquals(Set.of(), rendered, overlay + " keeps secret values out of git");
      assertEquals(expectedExternal, Set.copyOf(referenced));
    }
    assertNone(violations, "secrets");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod", "operated", OPERATOR})
  void everyImageIsPinnedToATag(String overlay) throws Exception {
    List<String> violations = new ArrayList<>();
    for (Workload w : rendered(overlay).workloads()) {
      allContainers(w.template().getSpec())
          .map(Container::getImage)
          .filter(i -> !i.matches("[a-z0-9./-]+:[A-Za-z0-9._-]+") || i.endsWith(":latest"))
          .forEach(i -> violations.add(w.name() + ": " + i));
    }
    assertNone(violations, "image tags");
    assertFalse(rendered(overlay).workloads().isEmpty());
  }

  /**
   * The operator is the one workload that calls the API server: its own account, bound to a
   * namespaced Role with the verbs it uses and nothing else (no secrets, no wildcard, no cluster
   * scope), its token mounted by its pod only.
   */
  @org.junit.jupiter.api.Test
  void theOperatorAloneIsBoundToAMinimalNamespacedRole() throws Exception {
    Rendered r = rendered(OPERATOR);
    assertTrue(r.all(io.fabric8.kubernetes.api.model.rbac.ClusterRole.class).isEmpty());
    assertTrue(r.all(io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class).isEmpty());
    var role = r.all(io.fabric8.kubernetes.api.model.rbac.Role.class);
    var binding = r.all(io.fabric8.kubernetes.api.model.rbac.RoleBinding.class);
    assertEquals(1, role.size());
    assertEquals(1, binding.size());
    assertEquals("Role", binding.getFirst().getRoleRef().getKind());
    assertEquals(
        role.getFirst().getMetadata().getName(), binding.getFirst().getRoleRef().getName());
    assertEquals(1, binding.getFirst().getSubjects().size());
    var subject = binding.getFirst().getSubjects().getFirst();
    assertEquals("ServiceAccount", subject.getKind());

    Map<String, Set<String>> granted = new java.util.TreeMap<>();
    for (var rule : role.getFirst().getRules()) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          granted
              .computeIfAbsent(group + "/" + resource, k -> new java.util.TreeSet<>())
              .addAll(rule.getVerbs());
        }
      }
    }
    Set<String> crud =
        Set.of("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection");
    assertEquals(
        Map.of(
            "coemesh.dev/experts",
            Set.of("get", "list", "watch", "patch", "update"),
            "coemesh.dev/experts/status",
            Set.of("get", "patch", "update"),
            "apps/deployments",
            crud,
            "/services",
            crud,
            "/configmaps",
            crud,
            "inference.networking.k8s.io/inferencepools",
            crud,
            "/events",
            Set.of("create", "patch"),
            "events.k8s.io/events",
            Set.of("create", "patch")),
        granted);

    List<Workload> workloads = r.workloads();
    assertEquals(1, workloads.size());
    PodSpec pod = workloads.getFirst().template().getSpec();
    assertEquals(subject.getName(), pod.getServiceAccountName());
    assertEquals(Boolean.TRUE, pod.getAutomountServiceAccountToken(), "it calls the API server");
    ServiceAccount account = r.named(ServiceAccount.class, subject.getName()).orElseThrow();
    assertEquals(
        Boolean.FALSE,
        account.getAutomountServiceAccountToken(),
        "no other pod of the account gets a token by default");
    assertEquals(1, workloads.getFirst().replicas(), "no leader election: one replica");
  }

  /**
   * The operator's flows: the API server (one address on its ports) and the SLO planner on the
   * router service of the overlay it is applied on (operated), whose policy admits it; the base's
   * default-deny and DNS policies cover the rest.
   */
  @org.junit.jupiter.api.Test
  void theOperatorMayReachOnlyTheApiServerAndThePlanner() throws Exception {
    Rendered r = rendered(OPERATOR);
    List<NetworkPolicy> policies = r.all(NetworkPolicy.class);
    assertEquals(1, policies.size());
    NetworkPolicy p = policies.getFirst();
    Workload operator = r.workloads().getFirst();
    Map<String, String> labels = operator.template().getMetadata().getLabels();
    assertTrue(matches(p.getSpec().getPodSelector(), labels));
    assertEquals(List.of("Egress"), p.getSpec().getPolicyTypes());
    assertTrue(p.getSpec().getIngress().isEmpty());
    assertEquals(2, p.getSpec().getEgress().size());
    var apiServer = p.getSpec().getEgress().get(0);
    assertEquals(1, apiServer.getTo().size());
    assertTrue(apiServer.getTo().getFirst().getIpBlock().getCidr().endsWith("/32"), "one address");
    assertEquals(Set.of(443, 6443), ports(apiServer.getPorts()));

    var planner = p.getSpec().getEgress().get(1);
    assertEquals(Set.of(8090), ports(planner.getPorts()));
    Rendered operated = rendered("operated");
    Workload router =
        operated.workloads().stream()
            .filter(w -> w.name().equals("Deployment/router"))
            .findFirst()
            .orElseThrow();
    assertEquals(1, planner.getTo().size());
    assertTrue(
        matches(
            planner.getTo().getFirst().getPodSelector(),
            router.template().getMetadata().getLabels()),
        "egress to the router pods only");
    NetworkPolicy routerPolicy = operated.named(NetworkPolicy.class, "router").orElseThrow();
    assertTrue(
        routerPolicy.getSpec().getIngress().stream()
            .anyMatch(
                rule ->
                    ports(rule.getPorts()).contains(8090)
                        && rule.getFrom().stream()
                            .anyMatch(
                                peer ->
                                    peer.getNamespaceSelector() == null
                                        && peer.getPodSelector() != null
                                        && matches(peer.getPodSelector(), labels))),
        "the router admits the operator on 8090");
    String url =
        operator.template().getSpec().getContainers().getFirst().getEnv().stream()
            .filter(e -> e.getName().equals("COEMESH_PLANNER_URL"))
            .findFirst()
            .orElseThrow()
            .getValue();
    assertEquals("http://router:8090", url, "the router Service's http port");
    Service service = operated.named(Service.class, "router").orElseThrow();
    assertTrue(service.getSpec().getPorts().stream().anyMatch(sp -> sp.getPort() == 8090));
  }

  private static Set<Integer> ports(List<NetworkPolicyPort> ports) {
    return Set.copyOf(ports.stream().map(port -> port.getPort().getIntVal()).toList());
  }
}
