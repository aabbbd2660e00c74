package dev.coemesh.gateway.orchestrate;

import java.util.Objects;

/** One message of a chat conversation, its content already flattened to text. */
public record ChatMessage(Role role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
