package dev.coemesh.pool.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.lang.reflect.Array;
import java.util.Map;

/**
 * {@code tojson}, as Hugging Face's chat-template renderer defines it: Python's {@code
 * json.dumps(value, ensure_ascii=False, indent=indent)}. Templates print tool definitions and tool
 * arguments with it, and a model was trained on exactly that text: {@code ", "} and {@code ": "}
 * between items without indent, {@code ","} and a newline with indent, non-ASCII characters as
 * themselves, and none of Jinja's HTML escaping. Jinjava's own {@code tojson} writes compact JSON.
 */
final class PythonJsonFilter implements Filter {

  @Override
  public String getName() {
    return "tojson";
  }

  @Override
  public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
    return filter(var, interpreter, (Object[]) args, Map.of());
  }

  @Override
  public Object filter(
      Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
    Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : first(args);
    StringBuilder out = new StringBuilder();
    write(var, indent == null ? -1 : Integer.parseInt(String.valueOf(indent)), 0, out);
    return out.toString();
  }

  private static Object first(Object[] args) {
    return args != null && args.length > 0 ? args[0] : null;
  }

  /** Writes {@code value}; {@code indent} < 0 is Python's {@code indent=None}. */
  static void write(Object value, int indent, int depth, StringBuilder out) {
    switch (value) {
      case null -> out.append("null");
      case Boolean b -> out.append(b ? "true" : "false");
      case Double d when d.isNaN() -> out.append("NaN");
      case Double d when d.isInfinite() -> out.append(d > 0 ? "Infinity" : "-Infinity");
      case Number n -> out.append(n);
      case Map<?, ?> map -> {
        if (map.isEmpty()) {
          out.append("{}");
          return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          separate(first, indent, depth + 1, out);
          string(String.valueOf(e.getKey()), out);
          out.append(": ");
          write(e.getValue(), indent, depth + 1, out);
          first = false;
        }
        close('}', indent, depth, out);
      }
      case Iterable<?> items -> {
        if (!items.iterator().hasNext()) {
          out.append("[]");
          return;
        }
        out.append('[');
        boolean first = true;
        for (Object item : items) {
          separate(first, indent, depth + 1, out);
          write(item, indent, depth + 1, out);
          first = false;
        }
        close(']', indent, depth, out);
      }
      case Object array when array.getClass().isArray() -> {
        java.util.List<Object> items = new java.util.ArrayList<>();
        for (int i = 0; i < Array.getLength(array); i++) {
          items.add(Array.get(array, i));
        }
        write(items, indent, depth, out);
      }
      default -> string(value.toString(), out);
    }
  }

  private static void separate(boolean first, int indent, int depth, StringBuilder out) {
    if (indent < 0) {
      if (!first) {
        out.append(", ");
      }
      return;
    }
    if (!first) {
      out.append(',');
    }
    out.append('\n').repeat(' ', indent * depth);
  }

  private static void close(char bracket, int indent, int depth, StringBuilder out) {
    if (indent >= 0) {
      out.append('\n').repeat(' ', indent * depth);
    }
    out.append(bracket);
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
