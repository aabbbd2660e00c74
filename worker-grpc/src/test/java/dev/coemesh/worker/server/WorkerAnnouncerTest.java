package dev.coemesh.worker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a worker names itself in the mesh's signals. */
class WorkerAnnouncerTest {
  @ParameterizedTest
  @CsvSource({
    "colocated, COLOCATED, COLOCATED",
    "Prefill, PREFILL, PREFILL",
    " decode , DECODE, DECODE"
  })
  void eachWorkerRoleJoinsTheReplicaPoolOfTheSameName(
      String flag, WorkerRole role, ReplicaRole pool) {
    assertEquals(role, WorkerRole.parse(flag));
    assertEquals(pool, role.replicaRole());
  }

  @Test
  void anUnknownRoleNamesTheChoices() {
    var e = assertThrows(IllegalArgumentException.class, () -> WorkerRole.parse("juggler"));
    assertEquals("role must be colocated, prefill or decode, was 'juggler'", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, 9101, 127.0.0.1:9101",
    "worker-0.pool, 1, worker-0.pool:1",
    "::1, 9, [::1]:9"
  })
  void theEndpointIsHostColonPort(String host, int port, String endpoint) {
    assertEquals(endpoint, WorkerAnnouncer.endpoint(host, port));
  }

  @Test
  void theDefaultsNameTheRoleAndPortAndMakeALegalKafkaClientId() {
    assertEquals("prefill-9101", WorkerAnnouncer.defaultInstance(WorkerRole.PREFILL, 9101));
    assertEquals("coemesh-worker-pod_7_x", WorkerAnnouncer.defaultClientId("pod/7 x"));
    KafkaSignalOptions.of("127.0.0.1:9092", WorkerAnnouncer.defaultClientId("a".repeat(300)));
    assertEquals(
        "stories/decode/decode-9102",
        WorkerAnnouncer.replicaId("stories", WorkerRole.DECODE, "decode-9102").toString());
  }
}
