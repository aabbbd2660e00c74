package dev.coemesh.gateway.grpc;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.gateway.grpc.v1.GenerateRequest;
import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.gateway.orchestrate.RoutingHints;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a {@code coemesh.v1.GenerateRequest} into the protocol-independent request, with the
 * same limits and defaults as the REST API (OpenAI's): temperature in [0, 2] (default 1), top_p in
 * (0, 1] (default 1), at most 4 non-empty stop strings.
 */
public final class GrpcRequests {
  private GrpcRequests() {}

  public static ClientRequest parse(GenerateRequest r) {
    boolean hasPrompt = !r.getPrompt().isEmpty();
    boolean hasMessages = r.getMessagesCount() > 0;
    if (hasPrompt == hasMessages) {
      throw MeshException.invalid("prompt", "set exactly one of 'prompt' and 'messages'");
    }
    PromptInput input;
    if (hasPrompt) {
      input = new PromptInput.Text(r.getPrompt());
    } else {
      List<ChatMessage> messages = new ArrayList<>(r.getMessagesCount());
      for (int i = 0; i < r.getMessagesCount(); i++) {
        Role role = Role.ofWireName(r.getMessages(i).getRole());
        if (role == null || role == Role.TOOL) { // a tool message needs a tool call id
          throw MeshException.invalid(
              "messages[" + i + "].role",
              "'messages[" + i + "].role' must be one of system, developer, user, assistant");
        }
        messages.add(new ChatMessage(role, r.getMessages(i).getContent()));
      }
      input = new PromptInput.Chat(messages);
    }
    // uint32 on the wire: values of 2^31 and more arrive as negative ints
    long maxTokens = Integer.toUnsignedLong(r.getMaxTokens());
    if (maxTokens > Integer.MAX_VALUE) {
      throw MeshException.invalid(
          "max_tokens", "'max_tokens' must be at most " + Integer.MAX_VALUE + ", was " + maxTokens);
    }
    double temperature = r.hasTemperature() ? r.getTemperature() : 1.0;
    if (!(temperature >= 0 && temperature <= 2)) {
      throw MeshException.invalid("temperature", "'temperature' must be in [0, 2]");
    }
    double topP = r.hasTopP() ? r.getTopP() : 1.0;
    if (!(topP > 0 && topP <= 1)) {
      throw MeshException.invalid("top_p", "'top_p' must be in (0, 1]");
    }
    if (r.getStopCount() > 4) {
      throw MeshException.invalid("stop", "at most 4 stop sequences");
    }
    for (String s : r.getStopList()) {
      if (s.isEmpty()) {
        throw MeshException.invalid("stop", "stop sequences must not be empty");
      }
    }
    return new ClientRequest(
        r.getModel().isEmpty() ? null : r.getModel(),
        input,
        (int) maxTokens,
        temperature,
        topP,
        r.hasSeed() ? r.getSeed() : null,
        r.getStopList(),
        new RoutingHints(r.getCategory(), r.getSession()),
        null,
        null); // no end-user id on the gRPC API; the priority is set from the metadata
  }
}
