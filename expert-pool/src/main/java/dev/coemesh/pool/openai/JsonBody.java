package dev.coemesh.pool.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
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
public final class JsonBody {
  /** Nesting of objects and arrays a request may use (OpenAI's bodies need fewer than 10). */
  static final int MAX_NESTING = 32;

  /** Strict reading: duplicate keys and trailing content are errors; nesting is bounded. */
  private static final ObjectMapper STRICT =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ObjectNode root;
  private final String prefix;
  private final Set<String> read = new HashSet<>();

  private JsonBody(ObjectNode root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  public static JsonBody parse(byte[] body) {
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
  public static JsonBody nested(ObjectNode node, String param) {
    return new JsonBody(node, param + ".");
  }

  public String param(String name) {
    return prefix + name;
  }

  /** The raw node, or null when absent or null. */
  public JsonNode node(String name) {
    read.add(name);
    JsonNode n = root.get(name);
    return n == null || n.isNull() ? null : n;
  }

  public String string(String name) {
    JsonNode n = node(name);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw typeError(name, "a string", n);
    }
    return n.textValue();
  }

  /** A string of at most {@code maxChars} characters, or null. */
  public String boundedString(String name, int maxChars) {
    String s = string(name);
    if (s != null && s.length() > maxChars) {
      throw MeshException.invalid(
          param(name), "'" + param(name) + "' must be at most " + maxChars + " characters");
    }
    return s;
  }

  public String requiredString(String name) {
    String s = string(name);
    if (s == null) {
      throw MeshException.invalid(param(name), "missing required parameter '" + param(name) + "'");
    }
    return s;
  }

  public Boolean bool(String name) {
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
  public Long integer(String name, long min, long max) {
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
  public Double number(String name, double min, double max) {
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
  public void unsupportedUnless(String name, JsonNode neutral) {
    JsonNode n = node(name);
    if (n != null && !n.equals(neutral) && !numericallyEqual(n, neutral)) {
      throw unsupported(name, n, "only " + neutral + " is");
    }
  }

  /** Refuses the value {@code actual} of parameter {@code name}, showing it and what is allowed. */
  public MeshException unsupported(String name, JsonNode actual, String allowed) {
    String shown = actual.toString();
    shown = shown.length() > 64 ? shown.substring(0, 64) + "..." : shown;
    return new MeshException(
        ErrorCode.UNSUPPORTED_PARAMETER,
        "'" + param(name) + "': " + shown + " is not supported by this server; " + allowed,
        param(name),
        null);
  }

  /** Refuses every field not read so far. */
  public void rejectUnread() {
    Iterator<String> names = root.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      // null means absent, as in OpenAI's API: {"tools": null} asks for nothing
      if (!read.contains(name) && !root.get(name).isNull()) {
        throw new MeshException(
            ErrorCode.UNSUPPORTED_PARAMETER,
            "Unrecognized or unsupported parameter '" + param(name) + "'",
            param(name),
            null);
      }
    }
  }

  public MeshException typeError(String name, String expected, JsonNode actual) {
    return MeshException.invalid(
        param(name), "'" + param(name) + "' must be " + expected + ", was " + kind(actual));
  }

  public static String kind(JsonNode n) {
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

  /**
   * What was wrong with unreadable JSON, in the client's terms: the parser's own message where it
   * describes the text, never the JSON library's class or feature names.
   */
  private static String firstLine(IOException e) {
    String what = String.valueOf(e.getMessage());
    String where = "";
    if (e instanceof JsonProcessingException jpe) {
      what = String.valueOf(jpe.getOriginalMessage());
      if (jpe.getLocation() != null) {
        where =
            " (line "
                + jpe.getLocation().getLineNr()
                + ", column "
                + jpe.getLocation().getColumnNr()
                + ")";
      }
    }
    for (String internals : new String[] {" (start marker", "[Source", "\n"}) {
      int cut = what.indexOf(internals);
      what = cut < 0 ? what : what.substring(0, cut);
    }
    if (e instanceof MismatchedInputException && what.startsWith("Trailing token")) {
      what = "unexpected content after the JSON object";
    } else if (e instanceof StreamConstraintsException) {
      what = "the JSON nests deeper than " + MAX_NESTING + " levels";
    } else if (what.contains("`") || what.contains("com.fasterxml") || what.contains("Feature")) {
      what = "malformed JSON";
    }
    what = what.strip();
    what = what.length() > 200 ? what.substring(0, 200) + "..." : what;
    return what + where;
  }
}
