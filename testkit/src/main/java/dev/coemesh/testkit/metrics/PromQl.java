package dev.coemesh.testkit.metrics;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads: every identifier used as a series selector, whether
 * followed by {@code {}, by {@code [} or bare, and not a function, an aggregation, a keyword or a
 * label name. A lexical reading, enough for the expressions of our dashboards and rules; it does
 * not validate them ({@code promtool check rules} does).
 */
public final class PromQl {
  private PromQl() {}

  private static final Set<String> KEYWORDS =
      Set.of(
          // aggregation operators (followed by "by", "without" or "(")
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile",
          "limitk",
          "limit_ratio",
          // binary and set operators, modifiers
          "and",
          "or",
          "unless",
          "bool",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "offset",
          "atan2",
          // literals
          "inf",
          "nan");

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|`[^`]*`");
  private static final Pattern BRACES = Pattern.compile("\\{[^{}]*}");
  private static final Pattern BRACKETS = Pattern.compile("\\[[^\\[\\]]*]");
  private static final Pattern LABEL_LIST =
      Pattern.compile(
          "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-z]+");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern TEMPLATE_VARIABLE = Pattern.compile("\\$\\{?(\\w+)(?::\\w+)?}?");

  /** The metric names {@code expr} selects. */
  public static Set<String> metricNames(String expr) {
    String s = withoutTemplateVariables(expr);
    s = STRING.matcher(s).replaceAll("\"\"");
    s = BRACES.matcher(s).replaceAll(" ");
    s = BRACKETS.matcher(s).replaceAll(" ");
    s = LABEL_LIST.matcher(s).replaceAll(" ");
    s = OFFSET.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String word = m.group();
      if (m.start() > 0 && isNumberPart(s.charAt(m.start() - 1))) {
        continue; // the exponent or unit of a number: 1e3, 0x1f
      }
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
        next++;
      }
      boolean call = next < s.length() && s.charAt(next) == '(';
      if (!call && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        names.add(word);
      }
    }
    return names;
  }

  /**
   * {@code expr} with Grafana's template variables replaced by valid PromQL: interval variables
   * ({@code $__rate_interval}, {@code $__interval}, {@code $__range}) by {@code 5m}, others (used
   * in label matchers, {@code expert=~"$expert"}) by {@code .*}.
   */
  public static String withoutTemplateVariables(String expr) {
    Matcher m = TEMPLATE_VARIABLE.matcher(expr);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = m.group(1).startsWith("__") ? "5m" : ".*";
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static boolean isNumberPart(char c) {
    return Character.isDigit(c) || c == '.';
  }
}
