package dev.coemesh.gateway.orchestrate;

/**
 * Renders a conversation to the prompt text the model completes. The default expert is a story
 * model without a chat format of its own, so the template is the plainest one that keeps roles
 * apart: one {@code "role: content"} line per message (a named participant as {@code "role (name):
 * content"}), then {@code "assistant:"} for the model to continue.
 *
 * <pre>
 * [system: You tell stories.]
 * user (Ann): Tell me about a cat.
 * assistant:
 * </pre>
 */
public final class ChatTemplate {
  private ChatTemplate() {}

  public static String render(PromptInput input) {
    return switch (input) {
      case PromptInput.Text t -> t.text();
      case PromptInput.Chat c -> renderChat(c);
    };
  }

  private static String renderChat(PromptInput.Chat chat) {
    StringBuilder sb = new StringBuilder();
    for (ChatMessage m : chat.messages()) {
      sb.append(m.role().wireName());
      if (m.name() != null) {
        sb.append(" (").append(m.name()).append(')');
      }
      sb.append(": ").append(m.content()).append('\n');
    }
    return sb.append(Role.ASSISTANT.wireName()).append(':').toString();
  }
}
