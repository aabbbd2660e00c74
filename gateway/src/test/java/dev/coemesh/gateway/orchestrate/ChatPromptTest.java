package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatPromptTest {
  @Test
  void aConversationReachesTheTemplateAsTurnsWithRolesAndNames() {
    List<ChatMessage> chat =
        List.of(
            new ChatMessage(Role.SYSTEM, "You tell stories."),
            new ChatMessage(Role.USER, "Tell me about a cat.", "ann"),
            new ChatMessage(Role.ASSISTANT, "Once"),
            new ChatMessage(Role.USER, "More."));
    assertEquals(
        "system: You tell stories.\nuser (ann): Tell me about a cat.\nassistant: Once\n"
            + "user: More.\nassistant:",
        ChatFormat.PLAIN.render(chat.stream().map(ChatMessage::turn).toList(), true));
  }

  @Test
  void aPlainConversationsUpstreamBodyHoldsItsMessages() {
    PromptInput.Chat chat =
        new PromptInput.Chat(
            List.of(new ChatMessage(Role.SYSTEM, "Be brief."), new ChatMessage(Role.USER, "Hi")));
    assertEquals(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"Hi\"}]}",
        chat.body().json());
    assertEquals(List.of(), chat.upstreamOnly());
  }
}
