package dev.coemesh.pool.openai;

import java.util.Locale;

/**
 * Who wrote a chat message; the names are OpenAI's. {@code tool} messages (results of the model's
 * tool calls) only reach upstream experts; the legacy {@code function} role is not supported.
 */
public enum Role {
  SYSTEM,
  DEVELOPER,
  USER,
  ASSISTANT,
  TOOL;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role of a wire name, or null when there is none by that name. */
  public static Role ofWireName(String name) {
    for (Role r : values()) {
      if (r.wireName().equals(name)) {
        return r;
      }
    }
    return null;
  }
}
