package dev.coemesh.pool.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * System turns for a chat template that has no system role (Gemma raises on one, Mistral v0.2
 * leaves it out): folded into user turns, so a request with a system prompt still renders.
 */
final class SystemTurns {
  private SystemTurns() {}

  /**
   * The turns for a template without a system role, as llama.cpp's polyfill (minja's {@code
   * polyfill_system_role}) makes them: pending system texts (joined by newlines) open the next user
   * turn, separated from it by a newline; if another role comes first, or the conversation ends,
   * they become a user turn of their own.
   */
  static List<ChatTurn> foldIntoUserTurns(List<ChatTurn> turns) {
    List<ChatTurn> out = new ArrayList<>(turns.size());
    StringBuilder pending = new StringBuilder();
    for (ChatTurn t : turns) {
      if (t.role().equals("system")) {
        if (!pending.isEmpty()) {
          pending.append('\n');
        }
        pending.append(t.content());
        continue;
      }
      if (!pending.isEmpty()) {
        if (t.role().equals("user")) {
          String content = t.content().isEmpty() ? "" : "\n" + t.content();
          out.add(new ChatTurn("user", pending + content, t.name()));
          pending.setLength(0);
          continue;
        }
        out.add(new ChatTurn("user", pending.toString()));
        pending.setLength(0);
      }
      out.add(t);
    }
    if (!pending.isEmpty()) {
      out.add(new ChatTurn("user", pending.toString()));
    }
    return out;
  }
}
