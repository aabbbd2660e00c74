package dev.coemesh.routerservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.testkit.metrics.MetricsCatalog;
import dev.coemesh.testkit.metrics.Scrape;
import dev.coemesh.testkit.quarkus.KafkaTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The router service with its signals on a real Kafka broker: a replica that reports its load from
 * another process (here another bus instance) becomes routable, and decisions come back on {@code
 * mesh.routing}.
 */
@QuarkusTest
@TestProfile(KafkaSignalsTest.OnKafka.class)
class KafkaSignalsTest {
  public static final class OnKafka implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "mesh.signals.kafka.bootstrap-servers",
          "${kafka.bootstrap.servers}",
          "mesh.planner.enabled",
          "true",
          "mesh.planner.load-interval",
          "200ms",
          "mesh.planner.throughput-interval",
          "1s",
          "mesh.planner.scale-up-cooldown",
          "0s",
          "mesh.planner.experts.\"planned\".decode.replica-rps",
          "4",
          "mesh.planner.experts.\"planned\".decode.service-ms",
          "20",
          "mesh.planner.experts.\"planned\".decode.slo-ms",
          "100");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(KafkaTestResource.class));
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ReplicaId REMOTE =
      new ReplicaId(new ExpertId("stories"), ReplicaRole.COLOCATED, "remote-0");

  @TestHTTPResource("/")
  URI base;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrap;

  @Inject SignalBus serviceBus;

  @Test
  void aReplicaReportingOverKafkaIsRoutedToAndTheDecisionIsPublished() throws Exception {
    KafkaSignalBus service = assertInstanceOf(KafkaSignalBus.class, serviceBus);
    service.awaitAssignment(Duration.ofSeconds(30));
    HttpClient http = HttpClient.newHttpClient();
    List<SignalEvent.RoutingDecision> decisions = new CopyOnWriteArrayList<>();
    try (KafkaSignalBus replica =
            new KafkaSignalBus(
                KafkaSignalOptions.of(bootstrap, "test-replica").withGroupId("test-observer"));
        AutoCloseable sub = replica.subscribe(SignalEvent.RoutingDecision.class, decisions::add)) {
      replica.awaitAssignment(Duration.ofSeconds(30));
      JsonNode decision = null;
      long end = System.nanoTime() + 30_000_000_000L;
      while (decision == null && System.nanoTime() < end) {
        replica.publish(
            new SignalEvent.LoadReport(REMOTE, 0, 0, 0, 64, 0, 0, System.currentTimeMillis()));
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(base.resolve("/v1/route"))
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"request_id\":\"k1\",\"prompt\":\"Tell me a story about a"
                                + " dragon.\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          decision = JSON.readTree(r.body());
        } else {
          assertEquals(503, r.statusCode(), r.body()); // not yet: the report is on its way
          Thread.sleep(100);
        }
      }
      assertEquals(REMOTE.toString(), decision.get("replica").asText());
      while (decisions.stream().noneMatch(d -> d.requestId().equals("k1"))
          && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      SignalEvent.RoutingDecision published =
          decisions.stream().filter(d -> d.requestId().equals("k1")).findFirst().orElseThrow();
      assertEquals("stories", published.expert());
      assertEquals(REMOTE.toString(), published.replica());
    }

    // its signal meters: the load report it consumed is seconds old, nothing was dropped
    Scrape scrape = Scrape.of(base.resolve("/q/metrics"));
    assertEquals(
        Set.of(),
        scrape.missing(
            MetricsCatalog.ofCheckout().namesOf("router-service", "router-service+kafka")),
        "documented but not exported");
    double age = scrape.sum("mesh_signals_age_seconds", "type=\"load-report\"");
    assertTrue(age >= 0 && age < 30, "load-report age " + age);
    assertEquals(0, scrape.sum("mesh_signals_dropped_total", "reason=\"undecodable\""));
    assertEquals(1, scrape.sum("mesh_router_replicas", "expert=\"stories\"", "role=\"colocated\""));
  }

  /**
   * The planner in this service hears two decode replicas on {@code mesh.load} and a TPOT
   * attainment of 0.5 on {@code mesh.slo} from another process over Kafka, and asks for a third.
   */
  @Test
  void thePlannerAsksForAnotherDecodeReplicaWhenTpotAttainmentIsLow() throws Exception {
    KafkaSignalBus service = assertInstanceOf(KafkaSignalBus.class, serviceBus);
    service.awaitAssignment(Duration.ofSeconds(30));
    HttpClient http = HttpClient.newHttpClient();
    ExpertId planned = new ExpertId("planned");
    JsonNode decode = null;
    try (KafkaSignalBus remote =
        new KafkaSignalBus(KafkaSignalOptions.of(bootstrap, "test-planner-replicas"))) {
      long end = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < end) {
        long now = System.currentTimeMillis();
        for (String d : List.of("d0", "d1")) {
          remote.publish(
              new SignalEvent.LoadReport(
                  new ReplicaId(planned, ReplicaRole.DECODE, d), 0, 2, 10, 54, 0, 40, now));
        }
        remote.publish(new SignalEvent.SloReport("planned", 1.0, 0.5, 0.5, 60_000, now));
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(base.resolve("/v1/planner")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode plan = JSON.readTree(r.body());
        assertTrue(plan.get("enabled").asBoolean());
        decode = null;
        for (JsonNode row : plan.get("pools")) {
          if (row.get("expert").asText().equals("planned")
              && row.get("phase").asText().equals("decode")) {
            decode = row;
          }
        }
        if (decode != null && decode.get("desiredReplicas").asInt() == 3) {
          break;
        }
        Thread.sleep(100);
      }
    }
    assertTrue(decode != null, "no decision for planned/decode");
    assertEquals(3, decode.get("desiredReplicas").asInt(), decode.toString());
    assertEquals(2, decode.get("readyReplicas").asInt(), decode.toString());
    assertTrue(
        Set.of("slo-missed", "pending").contains(decode.get("reason").asText()), decode.toString());

    Scrape scrape = Scrape.of(base.resolve("/q/metrics"));
    assertEquals(
        Set.of(),
        scrape.missing(MetricsCatalog.ofCheckout().namesOf("router-service+planner")),
        "documented but not exported");
    assertEquals(
        3, scrape.sum("mesh_planner_desired_replicas", "expert=\"planned\"", "phase=\"decode\""));
  }
}
