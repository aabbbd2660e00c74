package dev.coemesh.pool.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.request.ChatBody;
import dev.coemesh.core.request.SamplingParams;
import java.util.Map;

/**
 * The request body of one streamed generation with usage: {@code /v1/completions} for a text
 * prompt, {@code /v1/chat/completions} for a conversation (its messages, tools and response format
 * exactly as the client sent them, so the upstream applies its own model's chat template).
 */
final class CompletionBody {
  private CompletionBody() {}

  static String text(String model, String prompt, SamplingParams p) {
    ObjectNode b = UpstreamJson.object();
    b.put("model", model);
    b.put("prompt", prompt);
    sampling(b, p);
    if (p.wantsLogprobs()) {
      b.put("logprobs", p.topLogprobs()); // the legacy form: the number of alternatives
    }
    return UpstreamJson.write(b);
  }

  static String chat(String model, ChatBody chat, SamplingParams p) {
    ObjectNode b = UpstreamJson.object();
    b.put("model", model);
    for (Map.Entry<String, JsonNode> field : UpstreamJson.tree(chat.json()).properties()) {
      b.set(field.getKey(), field.getValue());
    }
    sampling(b, p);
    if (p.wantsLogprobs()) {
      b.put("logprobs", true);
      b.put("top_logprobs", p.topLogprobs());
    }
    return UpstreamJson.write(b);
  }

  /** Streaming with usage, and the sampling parameters both endpoints share. */
  private static void sampling(ObjectNode b, SamplingParams p) {
    b.put("stream", true);
    b.putObject("stream_options").put("include_usage", true);
    b.put("max_tokens", p.maxTokens());
    b.put("temperature", p.temperature());
    b.put("top_p", p.topP());
    b.put("seed", p.seed());
    if (p.topK() > 0) {
      b.put("top_k", p.topK()); // vLLM / llama.cpp extension
    }
    if (!p.stopStrings().isEmpty()) {
      ArrayNode stops = b.putArray("stop");
      p.stopStrings().forEach(stops::add);
    }
    if (!p.stopTokenIds().isEmpty()) {
      ArrayNode ids = b.putArray("stop_token_ids"); // vLLM extension
      p.stopTokenIds().forEach(ids::add);
    }
  }
}
