package dev.coemesh.signals.kafka;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The signals' wire format: one JSON object per record, {@code {"v":1,"type":"load-report",...}},
 * with the record's components as camelCase fields. The mapping is written out by hand rather than
 * derived by reflection, so renaming a Java component can never silently change the wire format
 * other processes read.
 *
 * <p>Compatibility: readers ignore unknown fields, so adding a field needs no version bump (and
 * read a field added later as its documented default when an older writer left it out: a load
 * report's {@code endpoint} as null, its {@code modelFingerprint} as 0); removing, renaming or
 * changing the meaning of one raises {@link SignalEvent#SCHEMA_VERSION}, and readers skip records
 * newer than they know. JSON has no NaN or infinities, so non-finite doubles travel as the strings
 * {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}. Block hashes are full 64-bit JSON
 * integers (exact for Java readers, not for JavaScript numbers).
 *
 * <p>Thread-safe.
 */
public final class SignalCodec {
  /** Written into every record as {@code "v"}. */
  public static final int VERSION = SignalEvent.SCHEMA_VERSION;

  private final ObjectMapper json =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  public byte[] encode(SignalEvent event) {
    // Streamed rather than built as a tree: publish() runs on request threads.
    var bytes = new ByteArrayBuilder(256);
    try (JsonGenerator out = json.createGenerator(bytes)) {
      out.writeStartObject();
      out.writeNumberField("v", VERSION);
      out.writeStringField("type", SignalType.of(event).wireName());
      switch (event) {
        case LoadReport e -> {
          writeReplica(out, e.replica());
          if (e.endpoint() != null) {
            out.writeStringField("endpoint", e.endpoint());
          }
          out.writeNumberField("modelFingerprint", e.modelFingerprint());
          out.writeNumberField("queueDepth", e.queueDepth());
          out.writeNumberField("runningSequences", e.runningSequences());
          out.writeNumberField("kvBlocksUsed", e.kvBlocksUsed());
          out.writeNumberField("kvBlocksFree", e.kvBlocksFree());
          writeDouble(out, "recentTtftMs", e.recentTtftMs());
          writeDouble(out, "recentTpotMs", e.recentTpotMs());
        }
        case KvBlockEvent e -> {
          writeReplica(out, e.replica());
          out.writeStringField("kind", e.kind().name());
          out.writeArrayFieldStart("blockHashes");
          for (long hash : e.blockHashes()) {
            out.writeNumber(hash);
          }
          out.writeEndArray();
        }
        case UsageCharge e -> {
          out.writeStringField("tenant", e.tenant().value());
          out.writeStringField("gateway", e.gateway());
          out.writeNumberField("inputTokens", e.inputTokens());
          out.writeNumberField("outputTokens", e.outputTokens());
        }
        case SloReport e -> {
          out.writeStringField("pool", e.pool());
          writeDouble(out, "ttftAttainment", e.ttftAttainment());
          writeDouble(out, "tpotAttainment", e.tpotAttainment());
          writeDouble(out, "goodputRps", e.goodputRps());
          out.writeNumberField("windowMs", e.windowMs());
        }
        case RoutingDecision e -> {
          out.writeStringField("requestId", e.requestId());
          out.writeStringField("category", e.category()); // null is written as JSON null
          writeDouble(out, "confidence", e.confidence());
          out.writeStringField("expert", e.expert());
          out.writeStringField("replica", e.replica());
          out.writeStringField("mode", e.mode());
          out.writeStringField("reason", e.reason());
          out.writeObjectFieldStart("scores");
          for (Map.Entry<String, Double> score : e.scores().entrySet()) {
            writeDouble(out, score.getKey(), score.getValue());
          }
          out.writeEndObject();
        }
      }
      out.writeNumberField("timestampMs", event.timestampMs());
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write JSON to memory", e);
    }
    return bytes.toByteArray();
  }

  /**
   * @throws SignalDecodeException for anything but a well-formed signal of a known type and a
   *     version this reader supports
   */
  public SignalEvent decode(byte[] bytes) throws SignalDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new SignalDecodeException("empty record");
    }
    JsonNode root;
    try {
      root = json.readTree(bytes);
    } catch (JsonProcessingException e) {
      // The original message leaves out Jackson's multi-line source location.
      throw new SignalDecodeException("not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new SignalDecodeException("not JSON: " + e.getMessage(), e);
    }
    JsonFields fields = JsonFields.of(root, "record");
    int version = fields.integer("v");
    if (version < 1 || version > VERSION) {
      throw new SignalDecodeException(
          "unsupported schema version " + version + "; this reader knows 1.." + VERSION);
    }
    String wireName = fields.text("type");
    SignalType type =
        SignalType.byWireName(wireName)
            .orElseThrow(() -> new SignalDecodeException("unknown signal type '" + wireName + "'"));
    try {
      return decode(type, fields);
    } catch (RuntimeException e) {
      // The records' own invariants (blank ids, unknown enum constants) reject bad field values.
      throw new SignalDecodeException(wireName + ": " + e.getMessage(), e);
    }
  }

  private static SignalEvent decode(SignalType type, JsonFields f) throws SignalDecodeException {
    return switch (type) {
      case LOAD_REPORT ->
          new LoadReport(
              replica(f.object("replica")),
              f.optionalText("endpoint"),
              f.optionalIntegral("modelFingerprint", 0),
              f.integer("queueDepth"),
              f.integer("runningSequences"),
              f.integer("kvBlocksUsed"),
              f.integer("kvBlocksFree"),
              f.decimal("recentTtftMs"),
              f.decimal("recentTpotMs"),
              f.integral("timestampMs"));
      case KV_BLOCK_EVENT ->
          new KvBlockEvent(
              replica(f.object("replica")),
              KvBlockEvent.Kind.valueOf(f.text("kind")),
              f.integralList("blockHashes"),
              f.integral("timestampMs"));
      case USAGE_CHARGE ->
          new UsageCharge(
              new TenantId(f.text("tenant")),
              f.text("gateway"),
              f.integral("inputTokens"),
              f.integral("outputTokens"),
              f.integral("timestampMs"));
      case SLO_REPORT ->
          new SloReport(
              f.text("pool"),
              f.decimal("ttftAttainment"),
              f.decimal("tpotAttainment"),
              f.decimal("goodputRps"),
              f.integral("windowMs"),
              f.integral("timestampMs"));
      case ROUTING_DECISION ->
          new RoutingDecision(
              f.text("requestId"),
              f.optionalText("category"),
              f.decimal("confidence"),
              f.text("expert"),
              f.optionalText("replica"),
              f.optionalText("mode"),
              f.text("reason"),
              f.decimalMap("scores"),
              f.integral("timestampMs"));
    };
  }

  private static void writeReplica(JsonGenerator out, ReplicaId replica) throws IOException {
    out.writeObjectFieldStart("replica");
    out.writeStringField("expert", replica.expert().value());
    out.writeStringField("role", replica.role().name());
    out.writeStringField("instance", replica.instance());
    out.writeEndObject();
  }

  private static ReplicaId replica(JsonFields f) throws SignalDecodeException {
    return new ReplicaId(
        new ExpertId(f.text("expert")), ReplicaRole.valueOf(f.text("role")), f.text("instance"));
  }

  private static void writeDouble(JsonGenerator out, String name, double value) throws IOException {
    if (Double.isFinite(value)) {
      out.writeNumberField(name, value);
    } else {
      out.writeStringField(name, Double.toString(value)); // "NaN", "Infinity" or "-Infinity"
    }
  }

  /** Typed, strict access to one JSON object's fields; messages name the field's path. */
  private record JsonFields(JsonNode node, String path) {
    static JsonFields of(JsonNode node, String path) throws SignalDecodeException {
      if (node == null || !node.isObject()) {
        throw new SignalDecodeException(path + " is not a JSON object");
      }
      return new JsonFields(node, path);
    }

    JsonFields object(String name) throws SignalDecodeException {
      return of(required(name), path(name));
    }

    String text(String name) throws SignalDecodeException {
      JsonNode value = required(name);
      if (!value.isTextual()) {
        throw wrongType(path(name), "a string", value);
      }
      return value.textValue();
    }

    String optionalText(String name) throws SignalDecodeException {
      JsonNode value = node.get(name);
      return value == null || value.isNull() ? null : text(name);
    }

    int integer(String name) throws SignalDecodeException {
      JsonNode value = required(name);
      if (!value.isIntegralNumber() || !value.canConvertToInt()) {
        throw wrongType(path(name), "a 32-bit integer", value);
      }
      return value.intValue();
    }

    long integral(String name) throws SignalDecodeException {
      return integral(required(name), path(name));
    }

    /** The field's value, or {@code absent} when a record written before the field lacks it. */
    long optionalIntegral(String name, long absent) throws SignalDecodeException {
      JsonNode value = node.get(name);
      return value == null || value.isNull() ? absent : integral(value, path(name));
    }

    double decimal(String name) throws SignalDecodeException {
      return decimal(required(name), path(name));
    }

    List<Long> integralList(String name) throws SignalDecodeException {
      JsonNode array = required(name);
      if (!array.isArray()) {
        throw wrongType(path(name), "an array", array);
      }
      List<Long> values = new ArrayList<>(array.size());
      for (int i = 0; i < array.size(); i++) {
        values.add(integral(array.get(i), path(name) + "[" + i + "]"));
      }
      return values;
    }

    Map<String, Double> decimalMap(String name) throws SignalDecodeException {
      JsonNode object = required(name);
      if (!object.isObject()) {
        throw wrongType(path(name), "an object", object);
      }
      Map<String, Double> values = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> entry : object.properties()) {
        values.put(entry.getKey(), decimal(entry.getValue(), path(name) + "." + entry.getKey()));
      }
      return values;
    }

    private static long integral(JsonNode value, String path) throws SignalDecodeException {
      if (!value.isIntegralNumber() || !value.canConvertToLong()) {
        throw wrongType(path, "a 64-bit integer", value);
      }
      return value.longValue();
    }

    private static double decimal(JsonNode value, String path) throws SignalDecodeException {
      if (value.isNumber()) {
        return value.doubleValue();
      }
      if (value.isTextual()) {
        switch (value.textValue()) {
          case "NaN", "Infinity", "-Infinity" -> {
            return Double.parseDouble(value.textValue());
          }
          default -> {}
        }
      }
      throw wrongType(path, "a number, \"NaN\", \"Infinity\" or \"-Infinity\"", value);
    }

    private JsonNode required(String name) throws SignalDecodeException {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        throw new SignalDecodeException(path(name) + " is missing");
      }
      return value;
    }

    private String path(String name) {
      return path + "." + name;
    }

    private static SignalDecodeException wrongType(String path, String expected, JsonNode actual) {
      return new SignalDecodeException(
          path + " must be " + expected + " but was " + actual.getNodeType());
    }
  }
}
