package dev.coemesh.pool.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.request.ChatBody;
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

  /**
   * A conversation. The mesh's own engines complete it rendered with their model's chat format; an
   * upstream expert receives {@code body}, the conversation as the client sent it.
   *
   * @param messages the messages with their content flattened to text (routing, rendering)
   * @param upstream the client's {@code messages} (and tools, tool choice, response format)
   *     verbatim; serialized only when an upstream expert takes the conversation ({@link #body})
   * @param upstreamOnly the parameters this request uses that only an upstream expert can serve
   *     ({@code tools}, a JSON {@code response_format}, image parts, tool messages), each named as
   *     in the request; empty when any expert can serve it
   */
  record Chat(List<ChatMessage> messages, ObjectNode upstream, List<String> upstreamOnly)
      implements PromptInput {
    public Chat {
      messages = List.copyOf(messages);
      Objects.requireNonNull(upstream, "upstream");
      upstreamOnly = List.copyOf(upstreamOnly);
      if (messages.isEmpty()) {
        throw new IllegalArgumentException("a chat needs at least one message");
      }
    }

    /** A plain text conversation; its upstream body is built from the messages. */
    public Chat(List<ChatMessage> messages) {
      this(messages, upstreamOf(messages), List.of());
    }

    /** The conversation as an upstream expert receives it. */
    public ChatBody body() {
      return new ChatBody(upstream.toString());
    }

    private static ObjectNode upstreamOf(List<ChatMessage> messages) {
      ObjectNode root = JsonNodeFactory.instance.objectNode();
      ArrayNode array = root.putArray("messages");
      for (ChatMessage m : messages) {
        ObjectNode o = array.addObject().put("role", m.role().wireName());
        o.put("content", m.content());
        if (m.name() != null) {
          o.put("name", m.name());
        }
      }
      return root;
    }
  }
}
