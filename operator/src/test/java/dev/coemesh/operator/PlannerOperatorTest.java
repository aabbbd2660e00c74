package dev.coemesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.sun.net.httpserver.HttpServer;
import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.PlannerStatus;
import dev.coemesh.operator.expert.Labels;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator applying the planner's decisions, against fabric8's mock API server in CRUD mode and
 * a planner endpoint answering {@code GET /v1/planner} over real HTTP with what each test scripts.
 */
@EnableKubernetesMockClient(crud = true)
class PlannerOperatorTest {
  static KubernetesClient client;
  private static Operator operator;
  private static HttpServer planner;

  /** The body of {@code GET /v1/planner}; null answers 503. */
  private static final AtomicReference<String> PLAN = new AtomicReference<>();

  @BeforeAll
  static void start() throws Exception {
    try (InputStream crd =
        Files.newInputStream(Path.of("../k8s/base/crd/experts.coemesh.dev-v1.yml"))) {
      client
          .resource(
              client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
          .create();
    }
    planner = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    planner.createContext(
        "/v1/planner",
        exchange -> {
          String body = PLAN.get();
          byte[] bytes = (body == null ? "" : body).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(
              body == null ? 503 : 200, bytes.length == 0 ? -1 : bytes.length);
          if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
          }
          exchange.close();
        });
    planner.start();
    OperatorConfig config =
        OperatorConfig.fromEnv(Map.of())
            .withResync(Duration.ofSeconds(1))
            .withPlanner(
                URI.create("http://127.0.0.1:" + planner.getAddress().getPort()),
                Duration.ofMillis(300));
    operator = OperatorMain.start(client, config, new ExpertReconciler(config));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.stop();
    }
    if (planner != null) {
      planner.stop(0);
    }
  }

  static String plan(String expert, int prefill, String prefillWhy, int decode, String decodeWhy) {
    return """
        {"enabled":true,"pools":[
          {"expert":"%s","phase":"prefill","desiredReplicas":%d,"floor":1,"readyReplicas":1,
           "reason":"%s","lastChangeMs":1765000000000},
          {"expert":"%s","phase":"decode","desiredReplicas":%d,"floor":1,"readyReplicas":2,
           "reason":"%s","lastChangeMs":1765000060000}]}
        """
        .formatted(expert, prefill, prefillWhy, expert, decode, decodeWhy);
  }

  private static void awaitAsserted(org.awaitility.core.ThrowingRunnable check) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .untilAsserted(check);
  }

  private static int replicas(String ns, String name) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
    assertNotNull(d, name);
    return d.getSpec().getReplicas();
  }

  private static PlannerStatus status(String ns, String name) {
    return client
        .resources(Expert.class)
        .inNamespace(ns)
        .withName(name)
        .get()
        .getStatus()
        .planner();
  }

  private static void scaleByHand(String ns, String name, int replicas) {
    client
        .apps()
        .deployments()
        .inNamespace(ns)
        .withName(name)
        .edit(
            d -> {
              d.getSpec().setReplicas(replicas);
              return d;
            });
  }

  @Test
  void aDecisionIsAppliedWithinTheBoundsAndWrittenIntoTheStatus() {
    String ns = "planned";
    PLAN.set(plan("coder", 2, "steady", 3, "slo-missed"));
    client.resource(Experts.coder(ns)).create(); // prefill 1..4, decode 2..8
    awaitAsserted(
        () -> {
          assertEquals(2, replicas(ns, "coder-prefill"));
          assertEquals(3, replicas(ns, "coder-decode"));
          PlannerStatus s = status(ns, "coder");
          assertEquals(2, s.desiredReplicas().prefill());
          assertEquals(3, s.desiredReplicas().decode());
          assertEquals("prefill=steady,decode=slo-missed", s.reason());
          assertEquals("2025-12-06T05:47:40Z", s.lastChange());
        });
    // beyond the Expert's bounds: decode 12 > max 8, prefill 0 < min 1
    PLAN.set(plan("coder", 0, "slo-met", 12, "slo-missed"));
    awaitAsserted(
        () -> {
          assertEquals(1, replicas(ns, "coder-prefill"));
          assertEquals(8, replicas(ns, "coder-decode"));
          assertEquals("prefill=min-bound,decode=max-bound", status(ns, "coder").reason());
        });
  }

  @Test
  void aManualScaleIsKeptUntilTheDecisionChanges() throws Exception {
    String ns = "manual";
    PLAN.set(plan("coder", 1, "steady", 3, "steady"));
    client.resource(Experts.coder(ns)).create();
    awaitAsserted(() -> assertEquals(3, replicas(ns, "coder-decode")));
    scaleByHand(ns, "coder-decode", 5);
    Thread.sleep(3_000); // several reconciles at the 300 ms poll and the 1 s resync
    assertEquals(5, replicas(ns, "coder-decode"), "an unchanged decision does not revert the edit");
    PLAN.set(plan("coder", 1, "steady", 4, "slo-missed"));
    awaitAsserted(() -> assertEquals(4, replicas(ns, "coder-decode")));
  }

  @Test
  void aPausedExpertKeepsItsReplicasAndAnUnreachablePlannerScalesNothing() throws Exception {
    String ns = "paused";
    PLAN.set(plan("coder", 1, "steady", 3, "steady"));
    Expert coder = Experts.coder(ns);
    client.resource(coder).create();
    awaitAsserted(() -> assertEquals(3, replicas(ns, "coder-decode")));

    client
        .resources(Expert.class)
        .inNamespace(ns)
        .withName("coder")
        .edit(
            e -> {
              e.getMetadata().setAnnotations(Map.of(Labels.PLANNER, Labels.PLANNER_PAUSED));
              return e;
            });
    PLAN.set(plan("coder", 1, "steady", 6, "slo-missed"));
    awaitAsserted(() -> assertEquals("paused", status(ns, "coder").reason()));
    Thread.sleep(2_000);
    assertEquals(3, replicas(ns, "coder-decode"));

    client
        .resources(Expert.class)
        .inNamespace(ns)
        .withName("coder")
        .edit(
            e -> {
              e.getMetadata().setAnnotations(Map.of());
              return e;
            });
    awaitAsserted(() -> assertEquals(6, replicas(ns, "coder-decode")));

    PLAN.set(null); // the planner answers 503
    awaitAsserted(() -> assertEquals("no-decision", status(ns, "coder").reason()));
    Thread.sleep(2_000);
    assertEquals(6, replicas(ns, "coder-decode"), "a failed read scales nothing");
  }
}
