package dev.coemesh.pool.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Jinja's {@code for} with a loop filter, {@code {% for key, val in tool.items() if key != "return"
 * %}} (Mistral's tool templates): only the items for which the condition holds are iterated, and
 * {@code loop.index}, {@code loop.first} and {@code loop.last} count those alone. Jinjava's own
 * {@code for} takes {@code items() if cond} for a conditional expression, evaluates it once before
 * the loop (where the loop variables are undefined) and so iterates every item.
 *
 * <p>In Jinja's grammar the iterable of a {@code for} cannot be an unparenthesized conditional
 * expression, so the first {@code if} at the top level of the tag (outside strings and brackets)
 * always starts a loop filter. Without one, this is Jinjava's {@code for} unchanged.
 */
final class FilteredForTag extends ForTag {
  @Serial private static final long serialVersionUID = 1L;

  @Override
  public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
    TagToken token = (TagToken) tagNode.getMaster();
    var varsAndExpression = getLoopVarsAndExpression(token);
    String expression = varsAndExpression.getRight();
    int filterAt = topLevelIf(expression);
    if (filterAt < 0) {
      return super.interpretUnchecked(tagNode, interpreter);
    }
    List<String> vars = varsAndExpression.getLeft();
    String condition = expression.substring(filterAt + "if".length()).trim();
    Object collection =
        interpreter.resolveELExpression(
            expression.substring(0, filterAt).trim(), tagNode.getLineNumber());
    List<Object> kept = new ArrayList<>();
    ForLoop items = ObjectIterator.getLoop(collection);
    while (items.hasNext()) {
      Object item = items.next();
      try (var scope = interpreter.enterScope()) {
        bind(vars, interpreter.wrap(item), interpreter);
        if (ObjectTruthValue.evaluate(
            interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
          kept.add(item);
        }
      }
    }
    return renderForCollection(tagNode, interpreter, vars, kept);
  }

  /** The loop variables for one item, as the loop itself binds them. */
  private static void bind(List<String> vars, Object item, JinjavaInterpreter interpreter) {
    if (vars.size() == 1) {
      interpreter.getContext().put(vars.get(0), item);
      return;
    }
    for (int i = 0; i < vars.size(); i++) {
      interpreter.getContext().put(vars.get(i), part(item, i));
    }
  }

  /** Item {@code i} of a tuple item: a map entry's key and value, a list's elements. */
  private static Object part(Object item, int i) {
    return switch (item) {
      case Map.Entry<?, ?> e when i < 2 -> i == 0 ? e.getKey() : e.getValue();
      case List<?> l when i < l.size() -> l.get(i);
      case null, default -> null;
    };
  }

  /** The index of the first {@code if} keyword outside strings and brackets, or -1. */
  static int topLevelIf(String expression) {
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      switch (c) {
        case '\'', '"' -> quote = c;
        case '(', '[', '{' -> depth++;
        case ')', ']', '}' -> depth--;
        default -> {
          if (depth == 0
              && expression.startsWith("if", i)
              && (i == 0 || !isNamePart(expression.charAt(i - 1)))
              && (i + 2 == expression.length() || !isNamePart(expression.charAt(i + 2)))) {
            return i;
          }
        }
      }
    }
    return -1;
  }

  private static boolean isNamePart(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }
}
