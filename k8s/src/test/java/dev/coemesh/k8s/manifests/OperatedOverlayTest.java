package dev.coemesh.k8s.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The operated overlay is the prod mesh without hand-written worker pools: the operator makes them
 * from Expert objects, and the gateways and the router read what it writes (the routing config; for
 * the gateways also the list of models to fetch). The operator module checks that the names here
 * are the ones it writes.
 */
class OperatedOverlayTest {
  static final String ROUTING_CONFIG_MAP = "coemesh-routing";
  static final String GATEWAY_MODELS_CONFIG_MAP = "coemesh-gateway-models";

  private static Rendered operated() throws Exception {
    return ManifestsTest.rendered("operated");
  }

  @Test
  void noWorkerPoolIsHandWritten() throws Exception {
    Set<String> workloads =
        operated().workloads().stream()
            .map(w -> w.object().getMetadata().getName())
            .collect(Collectors.toSet());
    assertEquals(Set.of("gateway", "router", "redis", "kafka", "otel-collector"), workloads);
  }

  @Test
  void theMeshIsProdsWithoutItsPools() throws Exception {
    Set<String> prodWithoutWorkers =
        ManifestsTest.rendered("prod").objects().stream()
            .filter(o -> !o.getMetadata().getName().contains("worker"))
            .map(Rendered::describe)
            .collect(Collectors.toSet());
    Set<String> operatedWithoutWorkers =
        operated().objects().stream()
            .filter(o -> !o.getMetadata().getName().contains("worker"))
            .map(Rendered::describe)
            .collect(Collectors.toSet());
    assertEquals(prodWithoutWorkers, operatedWithoutWorkers);
  }

  @Test
  void gatewaysRouteWithTheOperatorsConfigAndFetchItsModels() throws Exception {
    PodSpec pod = podOf("gateway");
    Container gateway = pod.getContainers().get(0);
    assertEquals(
        "/etc/coemesh/routing/routing.yaml",
        ProdOverlayTest.env(gateway, "MESH_ROUTING_CONFIG"),
        "config file");
    assertMounted(pod, gateway, "/etc/coemesh/routing", ROUTING_CONFIG_MAP);

    Container fetch = pod.getInitContainers().get(0);
    assertEquals(List.of("/bin/sh", "/etc/coemesh/model-fetch/fetch.sh"), fetch.getCommand());
    Volume modelFetch = volume(pod, mountOf(fetch, "/etc/coemesh/model-fetch").getName());
    assertEquals(null, modelFetch.getConfigMap(), "one source per volume");
    List<VolumeProjection> sources = modelFetch.getProjected().getSources();
    assertEquals(
        List.of("model-fetch:fetch.sh", GATEWAY_MODELS_CONFIG_MAP + ":models.txt"),
        sources.stream()
            .map(
                s -> s.getConfigMap().getName() + ":" + s.getConfigMap().getItems().get(0).getKey())
            .toList());
    assertEquals(0555, modelFetch.getProjected().getDefaultMode());
  }

  @Test
  void theRouterRoutesWithTheOperatorsConfig() throws Exception {
    PodSpec pod = podOf("router");
    Container router = pod.getContainers().get(0);
    assertEquals(
        "/etc/coemesh/routing/routing.yaml", ProdOverlayTest.env(router, "MESH_ROUTER_CONFIG"));
    assertMounted(pod, router, "/etc/coemesh/routing", ROUTING_CONFIG_MAP);
    assertEquals(
        "true", ProdOverlayTest.env(router, "MESH_PLANNER_ENABLED"), "the operator applies it");
  }

  private static PodSpec podOf(String deployment) throws Exception {
    Deployment d = operated().named(Deployment.class, deployment).orElseThrow();
    return d.getSpec().getTemplate().getSpec();
  }

  private static void assertMounted(PodSpec pod, Container c, String path, String configMap) {
    VolumeMount mount = mountOf(c, path);
    assertTrue(mount.getReadOnly(), path + " read-only");
    assertEquals(configMap, volume(pod, mount.getName()).getConfigMap().getName());
  }

  private static VolumeMount mountOf(Container c, String path) {
    return c.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(path))
        .findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing at " + path));
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }
}
