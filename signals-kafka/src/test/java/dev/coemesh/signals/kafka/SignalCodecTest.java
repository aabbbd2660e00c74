package dev.coemesh.signals.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.signal.SignalEvent.KvBlockEvent;
import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.signal.SignalEvent.RoutingDecision;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.core.signal.SignalEvent.UsageCharge;
import dev.coemesh.core.tenant.TenantId;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SignalCodecTest {
  private final SignalCodec codec = new SignalCodec();

  static final ReplicaId REPLICA =
      new ReplicaId(new ExpertId("org/code-expert:v1.2"), ReplicaRole.PREFILL, "pod/7 ü");

  /** Every record type, with ordinary and edge values (non-finite doubles, empty collections). */
  static Stream<Arguments> events() {
    Map<String, Double> edgeScores = new LinkedHashMap<>();
    edgeScores.put("load", 0.25);
    edgeScores.put("prefix", Double.NaN);
    edgeScores.put("up", Double.POSITIVE_INFINITY);
    edgeScores.put("down", Double.NEGATIVE_INFINITY);
    edgeScores.put("neg-zero", -0.0);
    edgeScores.put("", Double.MIN_VALUE);
    return Stream.of(
        Arguments.of(new LoadReport(REPLICA, 3, 2, 100, 924, 41.5, 12.25, 1_700_000_000_000L)),
        Arguments.of(
            new LoadReport(
                REPLICA,
                "10.0.3.7:9101",
                0x8badf00ddeadbeefL,
                3,
                2,
                100,
                924,
                41.5,
                12.25,
                1_700_000_000_000L)),
        Arguments.of(new LoadReport(REPLICA, "[::1]:9102", Long.MAX_VALUE, 0, 0, 0, 64, 0, 0, 1)),
        Arguments.of(
            new LoadReport(
                REPLICA,
                Integer.MAX_VALUE,
                0,
                Integer.MIN_VALUE,
                -1,
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Long.MIN_VALUE)),
        Arguments.of(
            new KvBlockEvent(
                REPLICA,
                KvBlockEvent.Kind.STORED,
                List.of(1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 0L),
                5)),
        Arguments.of(new KvBlockEvent(REPLICA, KvBlockEvent.Kind.CLEARED, List.of(), 0)),
        Arguments.of(new KvBlockEvent(REPLICA, KvBlockEvent.Kind.EVICTED, List.of(42L), -7)),
        Arguments.of(new UsageCharge(new TenantId("acme_1-x"), "gw-0", 1_234, 56, 99)),
        Arguments.of(
            new UsageCharge(new TenantId("t"), "", Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE)),
        Arguments.of(new SloReport("code-expert/decode", 0.99, 0.875, 12.5, 60_000, 1)),
        Arguments.of(
            new SloReport(
                "\"quoted\"\n\\pool",
                Double.NaN,
                Double.NEGATIVE_INFINITY,
                -0.0,
                Long.MAX_VALUE,
                Long.MAX_VALUE)),
        Arguments.of(
            new RoutingDecision(
                "req-1",
                "code",
                0.93,
                "code-expert",
                "code-expert/decode/a",
                "disaggregated",
                "classified",
                Map.of("load", 0.5, "prefix", 1.0),
                10)),
        Arguments.of(
            new RoutingDecision(
                "req-2", null, Double.NaN, "chat", null, null, "explicit-model", Map.of(), 0)),
        Arguments.of(
            new RoutingDecision(
                "req-3",
                "",
                Double.MAX_VALUE,
                "chat",
                "",
                "colocated",
                "category-hint",
                edgeScores,
                0)));
  }

  @ParameterizedTest
  @MethodSource("events")
  void everyRecordSurvivesARoundTripUnchanged(SignalEvent event) throws Exception {
    assertEquals(event, codec.decode(codec.encode(event)));
  }

  @ParameterizedTest
  @MethodSource("events")
  void writesTheVersionAndTheTypeDiscriminator(SignalEvent event) throws Exception {
    JsonNode json = new ObjectMapper().readTree(codec.encode(event));
    assertEquals(1, json.get("v").intValue());
    assertEquals(SignalType.of(event).wireName(), json.get("type").textValue());
    assertEquals(event.timestampMs(), json.get("timestampMs").longValue());
  }

  @Test
  void negativeZeroKeepsItsSign() throws Exception {
    var event = new SloReport("p", -0.0, 0.0, -0.0, 1, 1);
    var decoded = (SloReport) codec.decode(codec.encode(event));
    assertEquals(
        Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(decoded.goodputRps()));
  }

  @Test
  void writesNonFiniteDoublesAsStringsBecauseJsonHasNoNaN() {
    var event =
        new SloReport("p", Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, 2);
    String json = new String(codec.encode(event), UTF_8);
    assertEquals(
        "{\"v\":1,\"type\":\"slo-report\",\"pool\":\"p\",\"ttftAttainment\":\"NaN\","
            + "\"tpotAttainment\":\"Infinity\",\"goodputRps\":\"-Infinity\",\"windowMs\":1,"
            + "\"timestampMs\":2}",
        json);
  }

  /**
   * Why the codec handles NaN itself: Jackson's defaults write NaN as the string "NaN", and its
   * tree model then reads that back as text whose doubleValue() is 0.0 — a silent corruption.
   */
  @Test
  void jacksonAloneWouldTurnNaNIntoZero() throws Exception {
    ObjectMapper plain = new ObjectMapper();
    String written = plain.writeValueAsString(Map.of("x", Double.NaN));
    assertEquals("{\"x\":\"NaN\"}", written);
    assertEquals(0.0, plain.readTree(written).get("x").doubleValue());
  }

  @Test
  void acceptsIntegralJsonNumbersForDoublesAndIgnoresUnknownFields() throws Exception {
    String json =
        "{\"v\":1,\"type\":\"slo-report\",\"pool\":\"p\",\"ttftAttainment\":1,"
            + "\"tpotAttainment\":0,\"goodputRps\":3,\"windowMs\":1000,\"timestampMs\":5,"
            + "\"addedLater\":{\"nested\":[1,2]}}";
    assertEquals(new SloReport("p", 1, 0, 3, 1000, 5), codec.decode(json.getBytes(UTF_8)));
  }

  @Test
  void writesALoadReportsEndpointAndFullSixtyFourBitFingerprint() throws Exception {
    var event = new LoadReport(REPLICA, "10.0.3.7:9101", -2L, 1, 2, 3, 4, 5.5, 6.5, 7);
    JsonNode json = new ObjectMapper().readTree(codec.encode(event));
    assertEquals("10.0.3.7:9101", json.get("endpoint").textValue());
    assertEquals(-2L, json.get("modelFingerprint").longValue());
  }

  @Test
  void readsALoadReportWrittenBeforeEndpointsAsAnInProcessReplica() throws Exception {
    String json =
        "{\"v\":1,\"type\":\"load-report\",\"replica\":"
            + "{\"expert\":\"e\",\"role\":\"DECODE\",\"instance\":\"a\"},"
            + "\"queueDepth\":1,\"runningSequences\":2,\"kvBlocksUsed\":3,\"kvBlocksFree\":4,"
            + "\"recentTtftMs\":5,\"recentTpotMs\":6,\"timestampMs\":7}";
    LoadReport read = (LoadReport) codec.decode(json.getBytes(UTF_8));
    assertEquals(
        new LoadReport(
            new ReplicaId(new ExpertId("e"), ReplicaRole.DECODE, "a"), 1, 2, 3, 4, 5, 6, 7),
        read);
    assertEquals(null, read.endpoint());
    assertEquals(0, read.modelFingerprint());
  }

  @Test
  void readsMissingOptionalRoutingFieldsAsNull() throws Exception {
    String json =
        "{\"v\":1,\"type\":\"routing-decision\",\"requestId\":\"r\",\"confidence\":0.5,"
            + "\"expert\":\"e\",\"reason\":\"classified\",\"scores\":{},\"timestampMs\":1}";
    assertEquals(
        new RoutingDecision("r", null, 0.5, "e", null, null, "classified", Map.of(), 1),
        codec.decode(json.getBytes(UTF_8)));
  }

  static Stream<Arguments> malformed() {
    String slo =
        "\"pool\":\"p\",\"ttftAttainment\":1,\"tpotAttainment\":1,\"goodputRps\":1,"
            + "\"windowMs\":1,\"timestampMs\":1";
    String replica = "{\"expert\":\"e\",\"role\":\"DECODE\",\"instance\":\"a\"}";
    return Stream.of(
        Arguments.of("empty", "", "empty record"),
        Arguments.of("not json", "\u0000\u0001garbage", "not JSON"),
        Arguments.of("truncated", "{\"v\":1,\"type\":\"slo-", "not JSON"),
        Arguments.of("trailing tokens", "{\"v\":1}{}", "not JSON"),
        Arguments.of("duplicate field", "{\"v\":1,\"v\":2}", "not JSON"),
        Arguments.of("array", "[1,2]", "record is not a JSON object"),
        Arguments.of("json null", "null", "record is not a JSON object"),
        Arguments.of("no version", "{\"type\":\"slo-report\"," + slo + "}", "record.v is missing"),
        Arguments.of(
            "newer version",
            "{\"v\":2,\"type\":\"slo-report\"," + slo + "}",
            "unsupported schema version 2"),
        Arguments.of("version zero", "{\"v\":0,\"type\":\"slo-report\"," + slo + "}", "version 0"),
        Arguments.of(
            "version as string", "{\"v\":\"1\",\"type\":\"slo-report\"}", "record.v must be"),
        Arguments.of("no type", "{\"v\":1," + slo + "}", "record.type is missing"),
        Arguments.of(
            "unknown type", "{\"v\":1,\"type\":\"gossip\"}", "unknown signal type 'gossip'"),
        Arguments.of(
            "missing field",
            "{\"v\":1,\"type\":\"usage-charge\",\"tenant\":\"t\",\"gateway\":\"g\","
                + "\"inputTokens\":1,\"timestampMs\":1}",
            "record.outputTokens is missing"),
        Arguments.of(
            "fraction for a long",
            "{\"v\":1,\"type\":\"slo-report\",\"pool\":\"p\",\"ttftAttainment\":1,"
                + "\"tpotAttainment\":1,\"goodputRps\":1,\"windowMs\":1.5,\"timestampMs\":1}",
            "record.windowMs must be a 64-bit integer"),
        Arguments.of(
            "long overflow",
            "{\"v\":1,\"type\":\"usage-charge\",\"tenant\":\"t\",\"gateway\":\"g\","
                + "\"inputTokens\":9223372036854775808,\"outputTokens\":1,\"timestampMs\":1}",
            "record.inputTokens must be a 64-bit integer"),
        Arguments.of(
            "int overflow",
            "{\"v\":1,\"type\":\"load-report\",\"replica\":"
                + replica
                + ",\"queueDepth\":2147483648,\"runningSequences\":0,\"kvBlocksUsed\":0,"
                + "\"kvBlocksFree\":0,\"recentTtftMs\":0,\"recentTpotMs\":0,\"timestampMs\":0}",
            "record.queueDepth must be a 32-bit integer"),
        Arguments.of(
            "lower-case nan",
            "{\"v\":1,\"type\":\"slo-report\",\"pool\":\"p\",\"ttftAttainment\":\"nan\","
                + "\"tpotAttainment\":1,\"goodputRps\":1,\"windowMs\":1,\"timestampMs\":1}",
            "record.ttftAttainment must be a number"),
        Arguments.of(
            "fingerprint as string",
            "{\"v\":1,\"type\":\"load-report\",\"replica\":"
                + replica
                + ",\"modelFingerprint\":\"8badf00d\",\"queueDepth\":0,\"runningSequences\":0,"
                + "\"kvBlocksUsed\":0,\"kvBlocksFree\":0,\"recentTtftMs\":0,\"recentTpotMs\":0,"
                + "\"timestampMs\":0}",
            "record.modelFingerprint must be a 64-bit integer"),
        Arguments.of(
            "blank endpoint",
            "{\"v\":1,\"type\":\"load-report\",\"replica\":"
                + replica
                + ",\"endpoint\":\" \",\"queueDepth\":0,\"runningSequences\":0,"
                + "\"kvBlocksUsed\":0,\"kvBlocksFree\":0,\"recentTtftMs\":0,\"recentTpotMs\":0,"
                + "\"timestampMs\":0}",
            "load-report: a replica's endpoint is null or host:port"),
        Arguments.of(
            "replica as string",
            "{\"v\":1,\"type\":\"kv-block-event\",\"replica\":\"e/decode/a\",\"kind\":\"STORED\","
                + "\"blockHashes\":[],\"timestampMs\":1}",
            "record.replica is not a JSON object"),
        Arguments.of(
            "unknown role",
            "{\"v\":1,\"type\":\"kv-block-event\",\"replica\":"
                + replica.replace("DECODE", "JUGGLER")
                + ",\"kind\":\"STORED\",\"blockHashes\":[],\"timestampMs\":1}",
            "kv-block-event: No enum constant"),
        Arguments.of(
            "null hash",
            "{\"v\":1,\"type\":\"kv-block-event\",\"replica\":"
                + replica
                + ",\"kind\":\"STORED\",\"blockHashes\":[1,null],\"timestampMs\":1}",
            "record.blockHashes[1] must be a 64-bit integer"),
        Arguments.of(
            "invalid tenant",
            "{\"v\":1,\"type\":\"usage-charge\",\"tenant\":\"Not A Tenant\",\"gateway\":\"g\","
                + "\"inputTokens\":1,\"outputTokens\":1,\"timestampMs\":1}",
            "usage-charge: tenant id must match"),
        Arguments.of(
            "score not a number",
            "{\"v\":1,\"type\":\"routing-decision\",\"requestId\":\"r\",\"confidence\":1,"
                + "\"expert\":\"e\",\"reason\":\"x\",\"scores\":{\"load\":true},\"timestampMs\":1}",
            "record.scores.load must be a number"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void rejectsMalformedRecordsWithAMessageNamingTheProblem(
      String name, String json, String expectedMessage) {
    var error = assertThrows(SignalDecodeException.class, () -> codec.decode(json.getBytes(UTF_8)));
    assertTrue(
        error.getMessage().contains(expectedMessage),
        () -> "expected '" + expectedMessage + "' in: " + error.getMessage());
  }

  @Test
  void rejectsANullRecordValue() {
    assertThrows(SignalDecodeException.class, () -> codec.decode(null));
  }

  @Test
  void everySignalRecordHasExactlyOneSignalType() {
    Set<Class<?>> permitted =
        Arrays.stream(SignalEvent.class.getPermittedSubclasses()).collect(Collectors.toSet());
    Set<Class<?>> mapped =
        Arrays.stream(SignalType.values()).map(SignalType::recordType).collect(Collectors.toSet());
    assertEquals(permitted, mapped);
    assertEquals(
        SignalType.values().length,
        Arrays.stream(SignalType.values()).map(SignalType::wireName).distinct().count());
  }

  @ParameterizedTest
  @MethodSource("events")
  void theTypeTableAgreesWithEachRecordsOwnTopic(SignalEvent event) {
    assertEquals(event.topic(), SignalType.of(event).topic());
    assertEquals(Set.of(event.topic()), SignalType.topicsOf(event.getClass()));
  }

  @Test
  void theSealedInterfaceMapsToEveryTopic() {
    assertEquals(Set.of(SignalEvent.Topic.values()), SignalType.topicsOf(SignalEvent.class));
  }
}
