package dev.coemesh.pool.chat;

import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.ZonedDateTime;
import java.util.Objects;

/**
 * The global functions that Hugging Face's {@code apply_chat_template} (and llama.cpp after it)
 * gives chat templates. Jinjava calls them as static methods; the rendering's state comes from
 * {@link RenderBudget#current()}. Public only because Jinjava calls them reflectively.
 */
public final class TemplateFunctions {
  private TemplateFunctions() {}

  /** {@code raise_exception(message)}: the template refuses the conversation. */
  public static Object raiseException(Object message) {
    throw RenderBudget.current().raise(Objects.toString(message, "raise_exception"));
  }

  /** {@code strftime_now(format)}: the current time in a Python strftime format. */
  public static String strftimeNow(String format) {
    return StrftimeFormatter.format(ZonedDateTime.now(RenderBudget.current().clock()), format);
  }
}
