package dev.coemesh.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.gateway.orchestrate.ChatMessage;
import dev.coemesh.gateway.orchestrate.ClientRequest;
import dev.coemesh.gateway.orchestrate.PromptInput;
import dev.coemesh.gateway.orchestrate.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and validates the bodies of {@code POST /v1/chat/completions} and {@code POST
 * /v1/completions}. Supported: {@code model}, {@code messages} / {@code prompt}, {@code
 * max_tokens}, {@code max_completion_tokens} (chat), {@code temperature}, {@code top_p}, {@code
 * seed}, {@code stop}, {@code stream}, {@code stream_options.include_usage}. OpenAI parameters this
 * gateway does not implement are accepted only with their neutral value ({@code n: 1}, penalties 0,
 * {@code logprobs: false}, {@code echo: false}, {@code best_of: 1}); anything else is refused with
 * {@code unsupported_parameter} naming it.
 */
public final class OpenAiRequests {
  /** OpenAI's limit on stop sequences. */
  public static final int MAX_STOP = 4;

  /** Messages in one chat request. */
  public static final int MAX_MESSAGES = 2048;

  private OpenAiRequests() {}

  public static ApiRequest chat(byte[] body) {
    JsonBody json = JsonBody.parse(body);
    String model = json.string("model");
    PromptInput.Chat chat = messages(json);
    Long maxTokens = json.integer("max_tokens", 1, Integer.MAX_VALUE);
    Long maxCompletion = json.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
    if (maxTokens != null && maxCompletion != null && !maxTokens.equals(maxCompletion)) {
      throw MeshException.invalid(
          "max_completion_tokens",
          "'max_tokens' and 'max_completion_tokens' disagree; send only 'max_completion_tokens'");
    }
    Long limit = maxCompletion != null ? maxCompletion : maxTokens;
    json.unsupportedUnless("logprobs", BooleanNode.FALSE);
    return common(json, model, chat, limit);
  }

  public static ApiRequest completion(byte[] body) {
    JsonBody json = JsonBody.parse(body);
    String model = json.string("model");
    PromptInput.Text prompt = new PromptInput.Text(prompt(json));
    Long maxTokens = json.integer("max_tokens", 1, Integer.MAX_VALUE);
    json.unsupportedUnless("echo", BooleanNode.FALSE);
    json.unsupportedUnless("best_of", IntNode.valueOf(1));
    if (json.node("suffix") != null) {
      throw json.unsupported("suffix");
    }
    if (json.node("logprobs") != null) {
      throw json.unsupported("logprobs");
    }
    return common(json, model, prompt, maxTokens);
  }

  private static ApiRequest common(JsonBody json, String model, PromptInput input, Long maxTokens) {
    Double temperature = json.number("temperature", 0, 2);
    Double topP = json.number("top_p", 0, 1);
    if (topP != null && topP == 0) {
      throw MeshException.invalid(
          "top_p", "'top_p' must be greater than 0 (use temperature 0 for greedy decoding)");
    }
    Long seed = json.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
    List<String> stop = stop(json);
    Boolean stream = json.bool("stream");
    boolean includeUsage = streamOptions(json, Boolean.TRUE.equals(stream));
    json.unsupportedUnless("n", IntNode.valueOf(1));
    json.unsupportedUnless("presence_penalty", IntNode.valueOf(0));
    json.unsupportedUnless("frequency_penalty", IntNode.valueOf(0));
    json.rejectUnread();
    ClientRequest request =
        new ClientRequest(
            model,
            input,
            maxTokens == null ? 0 : maxTokens.intValue(),
            temperature == null ? 1.0 : temperature,
            topP == null ? 1.0 : topP,
            seed,
            stop);
    return new ApiRequest(request, Boolean.TRUE.equals(stream), includeUsage);
  }

  private static PromptInput.Chat messages(JsonBody json) {
    JsonNode n = json.node("messages");
    if (n == null) {
      throw MeshException.invalid("messages", "missing required parameter 'messages'");
    }
    if (!n.isArray()) {
      throw json.typeError("messages", "an array of messages", n);
    }
    if (n.isEmpty()) {
      throw MeshException.invalid("messages", "'messages' must hold at least one message");
    }
    if (n.size() > MAX_MESSAGES) {
      throw MeshException.invalid(
          "messages", "'messages' holds " + n.size() + " messages; at most " + MAX_MESSAGES);
    }
    List<ChatMessage> messages = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      String param = "messages[" + i + "]";
      JsonNode m = n.get(i);
      if (!m.isObject()) {
        throw MeshException.invalid(
            param, "'" + param + "' must be an object, was " + JsonBody.kind(m));
      }
      JsonBody msg = JsonBody.nested((ObjectNode) m, param);
      String roleName = msg.requiredString("role");
      Role role = Role.ofWireName(roleName);
      if (role == null) {
        throw MeshException.invalid(
            param + ".role",
            "'"
                + param
                + ".role' must be one of system, developer, user, assistant; was '"
                + (roleName.length() > 32 ? roleName.substring(0, 32) + "..." : roleName)
                + "'");
      }
      String content = content(msg);
      msg.rejectUnread();
      messages.add(new ChatMessage(role, content));
    }
    return new PromptInput.Chat(messages);
  }

  /** A message's content: a string, or an array of {@code {"type":"text","text":...}} parts. */
  private static String content(JsonBody msg) {
    JsonNode c = msg.node("content");
    String param = msg.param("content");
    if (c == null) {
      throw MeshException.invalid(param, "missing required parameter '" + param + "'");
    }
    if (c.isTextual()) {
      return c.textValue();
    }
    if (!c.isArray()) {
      throw msg.typeError("content", "a string or an array of text parts", c);
    }
    StringBuilder text = new StringBuilder();
    for (int j = 0; j < c.size(); j++) {
      String partParam = param + "[" + j + "]";
      JsonNode part = c.get(j);
      if (!part.isObject()) {
        throw MeshException.invalid(partParam, "'" + partParam + "' must be an object");
      }
      JsonBody p = JsonBody.nested((ObjectNode) part, partParam);
      String type = p.requiredString("type");
      if (!type.equals("text")) {
        throw new MeshException(
            dev.coemesh.core.error.ErrorCode.UNSUPPORTED_PARAMETER,
            "content parts of type '" + type + "' are not supported; only 'text'",
            partParam + ".type",
            null);
      }
      text.append(p.requiredString("text"));
      p.rejectUnread();
    }
    return text.toString();
  }

  /** A completion prompt: a string or an array of exactly one string. */
  private static String prompt(JsonBody json) {
    JsonNode p = json.node("prompt");
    if (p == null) {
      throw MeshException.invalid("prompt", "missing required parameter 'prompt'");
    }
    if (p.isTextual()) {
      return p.textValue();
    }
    if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      return p.get(0).textValue();
    }
    if (p.isArray()) {
      throw json.unsupported("prompt");
    }
    throw json.typeError("prompt", "a string", p);
  }

  private static List<String> stop(JsonBody json) {
    JsonNode s = json.node("stop");
    if (s == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.textValue());
    } else if (s.isArray()) {
      if (s.size() > MAX_STOP) {
        throw MeshException.invalid(
            "stop", "'stop' holds " + s.size() + " sequences; at most " + MAX_STOP);
      }
      for (JsonNode e : s) {
        if (!e.isTextual()) {
          throw json.typeError("stop", "a string or an array of strings", s);
        }
        out.add(e.textValue());
      }
    } else {
      throw json.typeError("stop", "a string or an array of strings", s);
    }
    for (String e : out) {
      if (e.isEmpty()) {
        throw MeshException.invalid("stop", "stop sequences must not be empty");
      }
    }
    return out;
  }

  private static boolean streamOptions(JsonBody json, boolean stream) {
    JsonNode o = json.node("stream_options");
    if (o == null) {
      return false;
    }
    if (!stream) {
      throw MeshException.invalid(
          "stream_options", "'stream_options' is only allowed when 'stream' is true");
    }
    if (!o.isObject()) {
      throw json.typeError("stream_options", "an object", o);
    }
    JsonBody opts = JsonBody.nested((ObjectNode) o, "stream_options");
    Boolean include = opts.bool("include_usage");
    opts.rejectUnread();
    return Boolean.TRUE.equals(include);
  }
}
