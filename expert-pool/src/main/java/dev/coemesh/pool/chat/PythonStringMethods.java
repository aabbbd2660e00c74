package dev.coemesh.pool.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The methods of Python's {@code str} that chat templates call ({@code content.strip()}, {@code
 * content.split('</think>')[-1]}, {@code role.title()}, {@code text.startswith('<think>')}), with
 * Python's meaning. Jinjava otherwise calls the Java method of the same name where there is one,
 * and Java's {@code split} takes a regular expression and drops trailing empty strings, its {@code
 * strip} takes no characters to strip. Placed before Jinjava's own resolvers, it answers only for a
 * string receiver and a name it knows, and leaves every other call to them.
 */
final class PythonStringMethods extends ELResolver {

  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(base instanceof String s) || !(method instanceof String name)) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    Object result =
        switch (name) {
          case "strip" -> strip(s, chars(args), true, true);
          case "lstrip" -> strip(s, chars(args), true, false);
          case "rstrip" -> strip(s, chars(args), false, true);
          case "split" -> split(s, args);
          case "startswith" -> args.length == 1 ? matchesAny(s, args[0], true) : null;
          case "endswith" -> args.length == 1 ? matchesAny(s, args[0], false) : null;
          case "upper" -> args.length == 0 ? s.toUpperCase(Locale.ROOT) : null;
          case "lower" -> args.length == 0 ? s.toLowerCase(Locale.ROOT) : null;
          case "title" -> args.length == 0 ? title(s) : null;
          case "capitalize" -> args.length == 0 ? capitalize(s) : null;
          case "replace" -> replace(s, args);
          case "find" -> args.length == 1 ? (long) s.indexOf(String.valueOf(args[0])) : null;
          case "join" -> args.length == 1 ? join(s, args[0]) : null;
          default -> null;
        };
    if (result != null) {
      context.setPropertyResolved(true);
    }
    return result;
  }

  /** The characters to strip: Python's default (null) is whitespace. */
  private static String chars(Object[] args) {
    return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
  }

  private static String strip(String s, String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && stripped(s.charAt(start), chars)) {
      start++;
    }
    while (right && end > start && stripped(s.charAt(end - 1), chars)) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean stripped(char c, String chars) {
    return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
  }

  /** Python's {@code str.isspace} for one UTF-16 unit (all such characters are in the BMP). */
  private static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }

  /** {@code split()} on runs of whitespace, or {@code split(sep[, maxsplit])} on a literal. */
  private static List<String> split(String s, Object[] args) {
    String sep = args.length > 0 && args[0] != null ? String.valueOf(args[0]) : null;
    long max = args.length > 1 && args[1] instanceof Number n ? n.longValue() : -1;
    List<String> parts = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      while (true) {
        while (i < s.length() && isPythonSpace(s.charAt(i))) {
          i++;
        }
        if (i == s.length()) {
          return parts;
        }
        if (max >= 0 && parts.size() == max) {
          parts.add(strip(s.substring(i), null, false, true));
          return parts;
        }
        int start = i;
        while (i < s.length() && !isPythonSpace(s.charAt(i))) {
          i++;
        }
        parts.add(s.substring(start, i));
      }
    }
    if (sep.isEmpty()) {
      return null; // Python raises "empty separator"; Jinjava then reports the call as unknown
    }
    int from = 0;
    for (int at = s.indexOf(sep); at >= 0 && (max < 0 || parts.size() < max); ) {
      parts.add(s.substring(from, at));
      from = at + sep.length();
      at = s.indexOf(sep, from);
    }
    parts.add(s.substring(from));
    return parts;
  }

  /** {@code startswith}/{@code endswith} with one string or a tuple (a list here) of them. */
  private static Boolean matchesAny(String s, Object affixes, boolean prefix) {
    Iterable<?> all = affixes instanceof Iterable<?> it ? it : List.of(String.valueOf(affixes));
    for (Object a : all) {
      String affix = String.valueOf(a);
      if (prefix ? s.startsWith(affix) : s.endsWith(affix)) {
        return true;
      }
    }
    return false;
  }

  private static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
    }
    return out.toString();
  }

  private static String capitalize(String s) {
    return s.isEmpty()
        ? s
        : Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
  }

  private static String replace(String s, Object[] args) {
    if (args.length < 2 || args.length > 3) {
      return null;
    }
    String old = String.valueOf(args[0]);
    String replacement = String.valueOf(args[1]);
    long count = args.length == 3 && args[2] instanceof Number n ? n.longValue() : -1;
    if (count < 0) {
      return s.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (long done = 0; done < count; done++) {
      int at = s.indexOf(old, from);
      if (at < 0 || (old.isEmpty() && at >= s.length())) {
        break;
      }
      out.append(s, from, at).append(replacement);
      from = at + old.length();
      if (old.isEmpty()) {
        out.append(s.charAt(from));
        from++;
      }
    }
    return out.append(s.substring(from)).toString();
  }

  private static String join(String separator, Object items) {
    if (!(items instanceof Iterable<?> it)) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    boolean first = true;
    for (Object item : it) {
      if (!first) {
        out.append(separator);
      }
      out.append(item);
      first = false;
    }
    return out.toString();
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return Collections.emptyIterator();
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
