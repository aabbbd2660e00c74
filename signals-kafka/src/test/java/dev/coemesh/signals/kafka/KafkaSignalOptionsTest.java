package dev.coemesh.signals.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.signal.SignalEvent.Topic;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaSignalOptionsTest {

  @Test
  void defaultsUseTheArchitectureTopicNamesAndTheClientIdAsGroup() {
    var options = KafkaSignalOptions.of("127.0.0.1:9092", "gateway-0");
    assertEquals("gateway-0", options.groupId());
    assertEquals("", options.topicPrefix());
    assertEquals(Duration.ofMillis(200), options.pollTimeout());
    assertEquals(Duration.ofMillis(100), options.maxBlock());
    assertEquals("mesh.load", options.topicName(Topic.LOAD));
    assertEquals("mesh.kv-events", options.topicName(Topic.KV_EVENTS));
    assertEquals("mesh.usage", options.topicName(Topic.USAGE));
    assertEquals("mesh.slo", options.topicName(Topic.SLO));
    assertEquals("mesh.routing", options.topicName(Topic.ROUTING));
  }

  @Test
  void aPrefixGoesInFrontOfEveryTopic() {
    var options = KafkaSignalOptions.of("k:9092", "c").withTopicPrefix("staging.");
    assertEquals("staging.mesh.kv-events", options.topicName(Topic.KV_EVENTS));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost:9092",
        "a:1,b:65535",
        " a:9092 , b:9093 ",
        "[::1]:9092",
        "10.0.0.1:9092"
      })
  void acceptsHostPortLists(String servers) {
    var options = KafkaSignalOptions.of(servers, "c");
    assertEquals(servers.replace(" ", ""), options.bootstrapServers());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("", "c", "bootstrapServers must not be blank"),
        Arguments.of(null, "c", "bootstrapServers must not be blank"),
        Arguments.of("localhost", "c", "bootstrapServers must be a comma-separated list"),
        Arguments.of("a:9092,", "c", "bootstrapServers must be a comma-separated list"),
        Arguments.of("a:0", "c", "port 1-65535"),
        Arguments.of("a:65536", "c", "port 1-65535"),
        Arguments.of("http://a:9092", "c", "bootstrapServers must be a comma-separated list"),
        Arguments.of("a:9092", "", "clientId must be 1-200 characters"),
        Arguments.of("a:9092", "gate way", "clientId must be 1-200 characters"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void rejectsBadAddressesAndNamesWithTheRuleAndTheValue(
      String servers, String clientId, String rule) {
    var error =
        assertThrows(
            IllegalArgumentException.class, () -> KafkaSignalOptions.of(servers, clientId));
    assertTrue(error.getMessage().startsWith("invalid Kafka signal options: "), error::getMessage);
    assertTrue(error.getMessage().contains(rule), error::getMessage);
    assertTrue(error.getMessage().contains(", but was '"), error::getMessage);
  }

  @Test
  void rejectsEachOtherBadField() {
    var ok = KafkaSignalOptions.of("a:9092", "c");
    assertRejected("groupId must not be blank", () -> ok.withGroupId(" "));
    assertRejected("topicPrefix may only contain", () -> ok.withTopicPrefix("a b"));
    assertRejected("topicPrefix may only contain", () -> ok.withTopicPrefix(null));
    assertRejected(
        "topicPrefix makes topic names longer", () -> ok.withTopicPrefix("p".repeat(240)));
    assertRejected("maxBlock must be at least 1ms", () -> ok.withMaxBlock(Duration.ZERO));
    assertRejected(
        "pollTimeout must be positive",
        () ->
            new KafkaSignalOptions("a:9092", "c", "g", "", Duration.ZERO, ok.maxBlock(), 1 << 20));
    assertRejected(
        "bufferBytes must be between",
        () ->
            new KafkaSignalOptions("a:9092", "c", "g", "", ok.pollTimeout(), ok.maxBlock(), 1024));
  }

  private static void assertRejected(String rule, Runnable build) {
    var error = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(error.getMessage().contains(rule), error::getMessage);
  }
}
