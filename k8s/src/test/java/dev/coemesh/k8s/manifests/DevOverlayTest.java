package dev.coemesh.k8s.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.k8s.manifests.Rendered.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dev overlay is one pod: the gateway with its embedded experts, as ./mesh up runs it. */
class DevOverlayTest {
  @Test
  void onePodRunsTheGatewayWithItsEmbeddedExperts() throws Exception {
    Rendered dev = ManifestsTest.rendered("dev");
    List<Workload> workloads = dev.workloads();
    assertEquals(List.of("Deployment/gateway"), workloads.stream().map(Workload::name).toList());
    assertEquals(1, workloads.get(0).replicas());
    Container gateway = workloads.get(0).template().getSpec().getContainers().get(0);
    assertEquals("coemesh/gateway:0.1.0", gateway.getImage());
    // embedded pools: the gateway's default, no Kafka, no worker credential
    List<String> env = gateway.getEnv().stream().map(EnvVar::getName).toList();
    assertTrue(
        !env.contains("MESH_SERVING_POOLS")
            && !env.contains("MESH_SIGNALS_KAFKA_BOOTSTRAP_SERVERS"),
        env.toString());
    assertTrue(env.contains("MESH_MODELS_DIR"));
    // the models come from the init container, not the image
    assertEquals(
        "fetch-models", workloads.get(0).template().getSpec().getInitContainers().get(0).getName());
    Secret keys = dev.named(Secret.class, "coemesh-api-keys").orElseThrow();
    assertTrue(keys.getData().containsKey("api-key"));
  }
}
