package dev.coemesh.gateway.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * A request body's top-level JSON object with typed, strict accessors: each reports a wrong type or
 * range as {@code INVALID_REQUEST} naming the parameter, and {@link #rejectUnread} refuses every
 * field nobody read, so no parameter is ever ignored silently. Explicit {@code null} counts as
 * absent, as in OpenAI's API.
 */
final class JsonBody {
  /** Strict reading: duplicate keys and trailing content are errors; nesting is bounded. */
  private static final ObjectMapper STRICT =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(32).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ObjectNode root;
  private final String prefix;
  private final Set<String> read = new HashSet<>();

  private JsonBody(ObjectNode root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  static JsonBody parse(byte[] body) {
    if (body == null || body.length == 0) {
      throw MeshException.invalid(null, "the request body is empty; expected a JSON object");
    }
    JsonNode node;
    try (JsonParser p = STRICT.createParser(body)) {
      node = STRICT.readTree(p);
    } catch (IOException e) {
      throw MeshException.invalid(null, "the request body is not valid JSON: " + firstLine(e));
    }
    if (node == null || !node.isObject()) {
      throw MeshException.invalid(null, "the request body must be a JSON object");
    }
    return new JsonBody((ObjectNode) node, "");
  }

  /** A nested object, its parameters named {@code parent.child}. */
  static JsonBody nested(ObjectNode node, String param) {
    return new JsonBody(node, param + ".");
  }

  String param(String name) {
    return prefix + name;
  }

  /** The raw node, or null when absent or null. */
  JsonNode node(String name) {
    read.add(name);
    JsonNode n = root.get(name);
    return n == null || n.isNull() ? null : n;
  }

  String string(String name) {
    JsonNode n = node(name);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw typeError(name, "a string", n);
    }
    return n.textValue();
  }

  String requiredString(String name) {
    String s = string(name);
    if (s == null) {
      throw MeshException.invalid(param(name), "missing required parameter '" + param(name) + "'");
    }
    return s;
  }

  Boolean bool(String name) {
    JsonNode n = node(name);
    if (n == null) {
      return null;
    }
    if (!n.isBoolean()) {
      throw typeError(name, "a boolean", n);
    }
    return n.booleanValue();
  }

  /** An integer in [min, max]; fractions and out-of-range values are errors. */
  Long integer(String name, long min, long max) {
    JsonNode n = node(name);
    if (n == null) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw typeError(name, "an integer", n);
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw MeshException.invalid(
          param(name), "'" + param(name) + "' must be in [" + min + ", " + max + "], was " + v);
    }
    return v;
  }

  /** A number in [min, max]. */
  Double number(String name, double min, double max) {
    JsonNode n = node(name);
    if (n == null) {
      return null;
    }
    if (!n.isNumber()) {
      throw typeError(name, "a number", n);
    }
    double v = n.doubleValue();
    if (!(v >= min && v <= max)) {
      throw MeshException.invalid(
          param(name), "'" + param(name) + "' must be in [" + min + ", " + max + "], was " + v);
    }
    return v;
  }

  /**
   * Refuses a known OpenAI parameter this gateway does not implement unless it holds its neutral
   * value (e.g. {@code n: 1}); a client sending the default is not asking for anything.
   */
  void unsupportedUnless(String name, JsonNode neutral) {
    JsonNode n = node(name);
    if (n != null && !n.equals(neutral) && !numericallyEqual(n, neutral)) {
      throw unsupported(name);
    }
  }

  /** Refuses every field not read so far. */
  void rejectUnread() {
    Iterator<String> names = root.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!read.contains(name)) {
        throw new MeshException(
            ErrorCode.UNSUPPORTED_PARAMETER,
            "Unrecognized or unsupported parameter '" + param(name) + "'",
            param(name),
            null);
      }
    }
  }

  MeshException unsupported(String name) {
    return new MeshException(
        ErrorCode.UNSUPPORTED_PARAMETER,
        "The parameter '" + param(name) + "' is not supported by this gateway",
        param(name),
        null);
  }

  MeshException typeError(String name, String expected, JsonNode actual) {
    return MeshException.invalid(
        param(name), "'" + param(name) + "' must be " + expected + ", was " + kind(actual));
  }

  static String kind(JsonNode n) {
    return switch (n.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL, MISSING -> "null";
      case BINARY -> "binary";
    };
  }

  private static boolean numericallyEqual(JsonNode a, JsonNode b) {
    return a.isNumber() && b.isNumber() && a.doubleValue() == b.doubleValue();
  }

  private static String firstLine(IOException e) {
    String m = String.valueOf(e.getMessage());
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
        && jpe.getLocation() != null) {
      m =
          jpe.getOriginalMessage()
              + " (line "
              + jpe.getLocation().getLineNr()
              + ", column "
              + jpe.getLocation().getColumnNr()
              + ")";
    }
    int nl = m.indexOf('\n');
    m = nl < 0 ? m : m.substring(0, nl);
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
