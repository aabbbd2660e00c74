package dev.coemesh.pool.openai;

import dev.coemesh.pool.chat.ChatTurn;
import java.util.Objects;

/**
 * One message of a chat conversation, its content already flattened to text.
 *
 * @param name the participant's name (OpenAI's {@code messages[].name}), or null
 */
public record ChatMessage(Role role, String content, String name) {
  /** The longest participant name accepted. */
  public static final int MAX_NAME_CHARS = 64;

  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    if (name != null && (name.isBlank() || name.length() > MAX_NAME_CHARS)) {
      throw new IllegalArgumentException("name must be 1 to " + MAX_NAME_CHARS + " characters");
    }
  }

  public ChatMessage(Role role, String content) {
    this(role, content, null);
  }

  /** This message as a chat template sees it. */
  public ChatTurn turn() {
    return new ChatTurn(role.wireName(), content, name);
  }
}
