package dev.coemesh.pool.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command-line options, checked against the names a command knows. */
public final class Args {
  private final Map<String, String> values = new HashMap<>();

  private Args() {}

  /**
   * Parses {@code args}; throws {@link IllegalArgumentException} naming an unknown or valueless
   * flag.
   */
  public static Args parse(String[] args, Set<String> known) {
    Args parsed = new Args();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.startsWith("--") || !known.contains(flag.substring(2))) {
        throw new IllegalArgumentException(
            "unknown option " + flag + " (known: --" + String.join(", --", known) + ")");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      parsed.values.put(flag.substring(2), args[++i]);
    }
    return parsed;
  }

  public String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  public String required(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  public int integer(String name, int fallback) {
    String v = values.get(name);
    try {
      return v == null ? fallback : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a whole number, got '" + v + "'");
    }
  }

  public double real(String name, double fallback) {
    String v = values.get(name);
    try {
      return v == null ? fallback : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a number, got '" + v + "'");
    }
  }
}
