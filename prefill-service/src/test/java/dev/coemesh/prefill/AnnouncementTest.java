package dev.coemesh.prefill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.testkit.quarkus.FreeGrpcPort;
import dev.coemesh.testkit.quarkus.KafkaTestResource;
import dev.coemesh.worker.server.WorkerRuntime;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** With {@code mesh.signals.kafka.*} set, the service announces itself on a real broker. */
@QuarkusTest
@TestProfile(AnnouncementTest.OnKafka.class)
class AnnouncementTest {
  public static final class OnKafka implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "mesh.signals.kafka.bootstrap-servers", "${kafka.bootstrap.servers}",
          "mesh.worker.expert", "tales",
          "mesh.worker.calibration-tokens", "0");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(KafkaTestResource.class));
    }
  }

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrap;

  @Inject WorkerRuntime runtime;

  @Test
  void theReplicaReportsItsIdEndpointAndFingerprint() throws Exception {
    List<SignalEvent.LoadReport> reports = new CopyOnWriteArrayList<>();
    try (KafkaSignalBus router =
        new KafkaSignalBus(
            KafkaSignalOptions.of(bootstrap, "test-router").withGroupId("announcement-test"))) {
      router.subscribe(SignalEvent.LoadReport.class, reports::add);
      assertTrue(router.awaitAssignment(Duration.ofSeconds(30)));
      long end = System.nanoTime() + 30_000_000_000L;
      while (reports.isEmpty() && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      SignalEvent.LoadReport report = reports.getFirst();
      int port = FreeGrpcPort.port();
      assertEquals(
          new ReplicaId(new ExpertId("tales"), ReplicaRole.PREFILL, "prefill-" + port),
          report.replica());
      assertEquals("127.0.0.1:" + port, report.endpoint());
      assertEquals(runtime.model().fingerprint().value(), report.modelFingerprint());
      assertEquals(1024, report.kvBlocksUsed() + report.kvBlocksFree());
    }
  }
}
