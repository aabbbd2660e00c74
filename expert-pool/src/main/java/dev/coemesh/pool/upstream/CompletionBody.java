package dev.coemesh.pool.upstream;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.request.SamplingParams;

/** The {@code /v1/completions} request body for one generation, streaming with usage. */
final class CompletionBody {
  private CompletionBody() {}

  static String of(String model, String prompt, SamplingParams p) {
    ObjectNode b = UpstreamJson.object();
    b.put("model", model);
    b.put("prompt", prompt);
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
    if (p.wantsLogprobs()) {
      b.put("logprobs", p.topLogprobs());
    }
    return UpstreamJson.write(b);
  }
}
