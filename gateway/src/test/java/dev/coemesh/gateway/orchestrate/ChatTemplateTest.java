package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
  @Test
  void rendersOneRoleLinePerMessageThenTheAssistantCue() {
    PromptInput.Chat chat =
        new PromptInput.Chat(
            List.of(
                new ChatMessage(Role.SYSTEM, "You tell stories."),
                new ChatMessage(Role.USER, "Tell me about a cat."),
                new ChatMessage(Role.ASSISTANT, "Once"),
                new ChatMessage(Role.USER, "More.")));
    assertEquals(
        "system: You tell stories.\nuser: Tell me about a cat.\nassistant: Once\nuser: More.\n"
            + "assistant:",
        ChatTemplate.render(chat));
  }

  @Test
  void textPromptsAreCompletedAsTheyAre() {
    assertEquals("Once upon a time", ChatTemplate.render(new PromptInput.Text("Once upon a time")));
  }
}
