package dev.coemesh.routerservice.epp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;

/**
 * What the endpoint picker reads of an OpenAI request body: the {@code model} and the text to route
 * on (a completion's prompt, a chat's last user message, as the gateway classifies). Lenient on
 * purpose: every other field is the model server's to validate, so only what routing needs must be
 * there.
 *
 * @param model the requested model: an expert name, the auto name, or null when absent
 * @param routingText the text the classifier reads
 */
public record InferenceBody(String model, String routingText) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The body of a request to {@code path} (its query string ignored). */
  public static InferenceBody parse(String path, byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) { // malformed JSON (a JsonProcessingException)
      throw MeshException.invalid(null, "the request body is not valid JSON");
    }
    if (root == null || !root.isObject()) {
      throw MeshException.invalid(null, "the request body must be a JSON object");
    }
    JsonNode model = root.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      throw MeshException.invalid("model", "'model' must be a string");
    }
    String modelName = model == null || model.isNull() ? null : model.asText();
    String text =
        isChat(path, root) ? lastUserMessage(root.get("messages")) : prompt(root.get("prompt"));
    return new InferenceBody(modelName, text);
  }

  /** A chat by its path, or by its {@code messages} when the path is neither OpenAI endpoint. */
  private static boolean isChat(String path, JsonNode root) {
    String p = path == null ? "" : path.split("\\?", 2)[0];
    if (p.endsWith("/chat/completions")) {
      return true;
    }
    return !p.endsWith("/completions") && root.has("messages") && !root.has("prompt");
  }

  private static String prompt(JsonNode prompt) {
    if (prompt != null && prompt.isTextual()) {
      return prompt.asText();
    }
    if (prompt != null && prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isTextual()) {
      return prompt.get(0).asText(); // a batch of prompts routes on its first
    }
    throw MeshException.invalid("prompt", "a completion needs a 'prompt' string");
  }

  private static String lastUserMessage(JsonNode messages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw MeshException.invalid(
          "messages", "a chat completion needs a non-empty 'messages' array");
    }
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode m = messages.get(i);
      if (m.isObject() && "user".equals(m.path("role").asText())) {
        return text(m.get("content"));
      }
    }
    throw MeshException.invalid("messages", "'messages' holds no user message");
  }

  /** A message's content: a string, or the text parts of a content array. */
  private static String text(JsonNode content) {
    if (content != null && content.isTextual()) {
      return content.asText();
    }
    if (content != null && content.isArray()) {
      StringBuilder out = new StringBuilder();
      for (JsonNode part : content) {
        if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
          out.append(out.isEmpty() ? "" : "\n").append(part.get("text").asText());
        }
      }
      return out.toString();
    }
    throw MeshException.invalid("messages", "the last user message has no text content");
  }
}
