package dev.coemesh.k8s.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.k8s.manifests.Rendered.Workload;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The prod overlay runs the distributed mesh: gateways in remote-pool mode, one worker pool per
 * expert of the routing config they load (prefill and decode pools for a disaggregated expert), the
 * router service, Redis, Kafka and the OpenTelemetry collector.
 */
class ProdOverlayTest {
  /** The routing config the gateway ships with and prod does not replace. */
  static final Path ROUTING = Path.of("../router/src/main/resources/routing/default-routing.yaml");

  /** Expert name to mode, from the routing config's experts list (mode colocated when absent). */
  static Map<String, String> routingExperts() throws Exception {
    String yaml = Files.readString(ROUTING);
    String experts = yaml.substring(yaml.indexOf("\nexperts:"), yaml.indexOf("\nroutes:"));
    Map<String, String> modes = new LinkedHashMap<>();
    String current = null;
    for (String line : experts.split("\n")) {
      Matcher name = Pattern.compile("^  - name: ([a-z0-9-]+)").matcher(line);
      Matcher mode = Pattern.compile("^    mode: ([a-z]+)").matcher(line);
      if (name.find()) {
        current = name.group(1);
        modes.put(current, "colocated");
      } else if (mode.find()) {
        modes.put(current, mode.group(1));
      }
    }
    return modes;
  }

  static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse(null);
  }

  @Test
  void gatewaysRunRemotePoolsOverKafkaWithTheMeshCredential() throws Exception {
    Deployment gateway =
        ManifestsTest.rendered("prod").named(Deployment.class, "gateway").orElseThrow();
    assertTrue(gateway.getSpec().getReplicas() >= 2);
    Container c = gateway.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals("remote", env(c, "MESH_SERVING_POOLS"));
    assertEquals("kafka:9092", env(c, "MESH_SIGNALS_KAFKA_BOOTSTRAP_SERVERS"));
    assertEquals(
        "/var/run/secrets/coemesh/mesh-credential/token",
        env(c, "MESH_SERVING_REMOTE_CREDENTIAL_FILE"));
    assertEquals("false", env(c, "QUARKUS_OTEL_SDK_DISABLED"));
    assertEquals(
        "http://otel-collector:4318/v1/traces",
        env(c, "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
  }

  /** Pools by "expert/role", each with the settings its worker ConfigMap gives it. */
  @Test
  void everyExpertOfTheRoutingConfigHasItsPools() throws Exception {
    Rendered prod = ManifestsTest.rendered("prod");
    Map<String, String> expected = new TreeMap<>();
    routingExperts()
        .forEach(
            (expert, mode) -> {
              if (mode.equals("disaggregated")) {
                expected.put(expert + "/prefill", expert + "-prefill-worker");
                expected.put(expert + "/decode", expert + "-decode-worker");
              } else {
                expected.put(expert + "/colocated", expert + "-worker");
              }
            });
    assertEquals(9, routingExperts().size());
    Map<String, String> pools = new TreeMap<>();
    for (Workload w : prod.workloads()) {
      Map<String, String> labels = w.template().getMetadata().getLabels();
      if (!"worker".equals(labels.get("app.kubernetes.io/name"))) {
        continue;
      }
      String pool = labels.get("coemesh.dev/expert") + "/" + labels.get("coemesh.dev/role");
      pools.put(pool, w.object().getMetadata().getName());
      Container c = w.template().getSpec().getContainers().get(0);
      ConfigMap settings =
          prod.named(ConfigMap.class, c.getEnvFrom().get(0).getConfigMapRef().getName())
              .orElseThrow();
      assertEquals(labels.get("coemesh.dev/expert"), settings.getData().get("MESH_EXPERT"), pool);
      assertEquals(labels.get("coemesh.dev/role"), settings.getData().get("MESH_ROLE"), pool);
      assertEquals(
          List.of("--role", "$(MESH_ROLE)", "--expert", "$(MESH_EXPERT)"),
          c.getArgs().subList(0, 4));
      boolean synthetic = settings.getData().get("MESH_MODEL").startsWith("synthetic:");
      assertEquals(
          !synthetic,
          c.getArgs().contains("--tokenizer"),
          pool + ": a tokenizer file for a .bin model only");
    }
    assertEquals(expected, pools);
    assertEquals(
        "synthetic:stories15M",
        prod.named(ConfigMap.class, configMapOf(prod, "math-large-worker"))
            .orElseThrow()
            .getData()
            .get("MESH_MODEL"));
    assertEquals(
        2,
        prod.named(Deployment.class, "coder-decode-worker").orElseThrow().getSpec().getReplicas());
    assertEquals(
        2, prod.named(Deployment.class, "stories-worker").orElseThrow().getSpec().getReplicas());
  }

  private static String configMapOf(Rendered r, String deployment) {
    return r.named(Deployment.class, deployment)
        .orElseThrow()
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getEnvFrom()
        .get(0)
        .getConfigMapRef()
        .getName();
  }

  @Test
  void routerRedisKafkaAndTheCollectorRun() throws Exception {
    Rendered prod = ManifestsTest.rendered("prod");
    assertTrue(prod.named(Deployment.class, "router").orElseThrow().getSpec().getReplicas() >= 2);
    assertEquals(
        "redis:7.4.2-alpine",
        prod.named(Deployment.class, "redis")
            .orElseThrow()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getImage());
    StatefulSet kafka = prod.named(StatefulSet.class, "kafka").orElseThrow();
    assertFalse(kafka.getSpec().getVolumeClaimTemplates().isEmpty());
    String server =
        prod.named(ConfigMap.class, "kafka").orElseThrow().getData().get("server.properties");
    assertTrue(server.contains("advertised.listeners=PLAINTEXT://kafka:9092"));
    String collector =
        prod.named(ConfigMap.class, "otel-collector").orElseThrow().getData().get("config.yaml");
    assertTrue(collector.contains("http: {endpoint: 0.0.0.0:4318}"));
    assertTrue(prod.named(Deployment.class, "otel-collector").isPresent());
  }
}
