package dev.coemesh.operator.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.operator.OperatorConfig;
import dev.coemesh.operator.gateway.GatewayModels;
import dev.coemesh.operator.routing.RoutingTable;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the operator writes is what the operated overlay's pods read: the gateways and the router
 * mount the routing config by the name the operator gives it, the gateways' download list too, the
 * gateway Deployment is the one the operator rolls by default, and the endpoint picker Service
 * every InferencePool names exists with that port.
 */
class OperatedOverlayContractTest {
  private static final Path OPERATED = Path.of("../k8s/overlays/operated");
  private static final OperatorConfig DEFAULTS = OperatorConfig.fromEnv(Map.of());
  private static List<HasMetadata> objects;

  @BeforeAll
  static void render() throws Exception {
    objects = Kustomized.render(OPERATED);
  }

  private static PodSpec pod(String deployment) {
    return Kustomized.named(objects, Deployment.class, deployment)
        .getSpec()
        .getTemplate()
        .getSpec();
  }

  /** The ConfigMaps a pod's volumes read, as NAME or NAME:KEY for a projected item. */
  private static Set<String> configMapsRead(PodSpec pod) {
    return pod.getVolumes().stream()
        .flatMap(
            (Volume v) -> {
              if (v.getConfigMap() != null) {
                return java.util.stream.Stream.of(v.getConfigMap().getName());
              }
              if (v.getProjected() != null) {
                return v.getProjected().getSources().stream()
                    .filter(s -> s.getConfigMap() != null)
                    .map(
                        s ->
                            s.getConfigMap().getName()
                                + ":"
                                + s.getConfigMap().getItems().getFirst().getKey());
              }
              return java.util.stream.Stream.empty();
            })
        .collect(Collectors.toSet());
  }

  @Test
  void theGatewaysReadTheRoutingConfigAndTheModelListTheOperatorWrites() {
    Set<String> read = configMapsRead(pod(DEFAULTS.gatewayDeployments().getFirst()));
    assertTrue(read.contains(RoutingTable.CONFIG_MAP), read.toString());
    assertTrue(read.contains(GatewayModels.CONFIG_MAP + ":" + GatewayModels.KEY), read.toString());
  }

  @Test
  void theRouterReadsTheRoutingConfig() {
    assertTrue(configMapsRead(pod("router")).contains(RoutingTable.CONFIG_MAP));
  }

  @Test
  void theEndpointPickerEveryInferencePoolNamesExists() {
    Service epp = Kustomized.named(objects, Service.class, DEFAULTS.eppService());
    assertEquals(
        List.of(DEFAULTS.eppPort()),
        epp.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
  }
}
