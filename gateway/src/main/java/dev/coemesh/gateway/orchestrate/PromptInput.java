package dev.coemesh.gateway.orchestrate;

import java.util.List;
import java.util.Objects;

/** What the client gave to complete: raw text (completions) or a conversation (chat). */
public sealed interface PromptInput {

  /** A prompt completed as it is. */
  record Text(String text) implements PromptInput {
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /** A conversation, rendered to a prompt by the {@link ChatTemplate}. */
  record Chat(List<ChatMessage> messages) implements PromptInput {
    public Chat {
      messages = List.copyOf(messages);
      if (messages.isEmpty()) {
        throw new IllegalArgumentException("a chat needs at least one message");
      }
    }
  }
}
