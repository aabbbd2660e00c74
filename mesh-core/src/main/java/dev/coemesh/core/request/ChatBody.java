package dev.coemesh.core.request;

import java.util.Objects;

/**
 * A chat request's conversation as the client sent it, for an expert that applies its own chat
 * template (an OpenAI-compatible upstream): a JSON object holding {@code messages} exactly as
 * received and, when given, {@code tools}, {@code tool_choice}, {@code parallel_tool_calls} and
 * {@code response_format}. The mesh's own engines never read it; they complete the rendered prompt.
 */
public record ChatBody(String json) {
  public ChatBody {
    Objects.requireNonNull(json, "json");
  }
}
