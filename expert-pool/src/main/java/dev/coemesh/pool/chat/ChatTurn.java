package dev.coemesh.pool.chat;

import java.util.Objects;

/**
 * One message of a conversation as a chat template sees it.
 *
 * @param role OpenAI's role name ({@code system}, {@code developer}, {@code user}, {@code
 *     assistant}, {@code tool})
 * @param content the message's text (content parts already joined)
 * @param name the participant's name, or null
 */
public record ChatTurn(String role, String content, String name) {
  public ChatTurn {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public ChatTurn(String role, String content) {
    this(role, content, null);
  }
}
