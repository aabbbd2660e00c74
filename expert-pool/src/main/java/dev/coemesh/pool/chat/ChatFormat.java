package dev.coemesh.pool.chat;

import java.util.List;

/**
 * Renders a conversation to the prompt text a model completes: the model's own chat template where
 * its file has one, else {@link #PLAIN}.
 */
public interface ChatFormat {

  /**
   * The prompt for {@code turns}.
   *
   * @param addGenerationPrompt whether to end with the opening of an assistant turn, for the model
   *     to continue
   */
  String render(List<ChatTurn> turns, boolean addGenerationPrompt);

  /** A short description for logs and errors ({@code "plain"}, {@code "gguf template"}). */
  String name();

  /**
   * The default for a model without a chat format of its own (the llama2.c story models): the
   * plainest format that keeps roles apart, one {@code "role: content"} line per message (a named
   * participant as {@code "role (name): content"}), then {@code "assistant:"} for the model to
   * continue.
   *
   * <pre>
   * system: You tell stories.
   * user (Ann): Tell me about a cat.
   * assistant:
   * </pre>
   */
  ChatFormat PLAIN =
      new ChatFormat() {
        @Override
        public String render(List<ChatTurn> turns, boolean addGenerationPrompt) {
          StringBuilder sb = new StringBuilder();
          for (ChatTurn t : turns) {
            sb.append(t.role());
            if (t.name() != null) {
              sb.append(" (").append(t.name()).append(')');
            }
            sb.append(": ").append(t.content()).append('\n');
          }
          if (addGenerationPrompt) {
            sb.append("assistant:");
          }
          return sb.toString();
        }

        @Override
        public String name() {
          return "plain";
        }
      };
}
