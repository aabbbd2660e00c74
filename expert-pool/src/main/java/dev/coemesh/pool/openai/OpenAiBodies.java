package dev.coemesh.pool.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.error.MeshException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and validates the bodies of {@code POST /v1/chat/completions} and {@code POST
 * /v1/completions}. Supported: {@code model}, {@code messages} / {@code prompt}, {@code
 * max_tokens}, {@code max_completion_tokens} (chat), {@code temperature}, {@code top_p}, {@code
 * seed}, {@code stop}, {@code stream}, {@code stream_options.include_usage}, {@code
 * messages[].name}, and {@code user} (the end-user id, recorded, never routed on). Chat requests
 * may also carry what only an upstream expert serves ({@link ChatTools}: tools, tool choice, a JSON
 * response format; and in {@code messages}: image, audio and file content parts, assistant {@code
 * tool_calls} and {@code tool} messages): they are checked for shape here and refused later, with
 * {@code unsupported_parameter}, when the request is routed to one of the mesh's own engines.
 * Parameters that do not change the output are accepted and ignored: {@code store}, {@code
 * metadata}, {@code service_tier}, {@code prompt_cache_key} and {@code safety_identifier}. OpenAI
 * parameters this gateway does not implement are accepted only with their neutral value ({@code n:
 * 1}, penalties 0, {@code logprobs: false}, {@code top_logprobs: 0}, {@code echo: false}, {@code
 * best_of: 1}, {@code functions: []}, {@code function_call: "none"} or {@code "auto"}, {@code
 * logit_bias: {}}); any other value is refused with {@code unsupported_parameter} naming the
 * parameter and value. Explicit {@code null} is absent.
 *
 * <p>One parser for every OpenAI front of the mesh: the gateway and a worker pod serving an
 * InferencePool read bodies the same way and refuse the same things with the same errors.
 */
public final class OpenAiBodies {
  /** OpenAI's limit on stop sequences. */
  public static final int MAX_STOP = 4;

  /** Messages in one chat request. */
  public static final int MAX_MESSAGES = 2048;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private OpenAiBodies() {}

  public static OpenAiRequest chat(byte[] body) {
    JsonBody json = JsonBody.parse(body);
    String model = json.string("model");
    List<String> upstreamOnly = new ArrayList<>();
    ObjectNode upstream = NODES.objectNode();
    List<ChatMessage> messages = messages(json, upstream, upstreamOnly);
    Long maxTokens = json.integer("max_tokens", 1, Integer.MAX_VALUE);
    Long maxCompletion = json.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
    if (maxTokens != null && maxCompletion != null && !maxTokens.equals(maxCompletion)) {
      throw MeshException.invalid(
          "max_completion_tokens",
          "'max_tokens' and 'max_completion_tokens' disagree; send only 'max_completion_tokens'");
    }
    Long limit = maxCompletion != null ? maxCompletion : maxTokens;
    json.unsupportedUnless("logprobs", BooleanNode.FALSE);
    json.unsupportedUnless("top_logprobs", IntNode.valueOf(0));
    ChatTools.read(json, upstream, upstreamOnly);
    json.unsupportedUnless("functions", NODES.arrayNode()); // the legacy form of tools
    functionCall(json);
    json.unsupportedUnless("modalities", NODES.arrayNode().add("text"));
    PromptInput.Chat chat = new PromptInput.Chat(messages, upstream, upstreamOnly);
    return common(json, model, chat, limit);
  }

  public static OpenAiRequest completion(byte[] body) {
    JsonBody json = JsonBody.parse(body);
    String model = json.string("model");
    PromptInput.Text prompt = new PromptInput.Text(prompt(json));
    Long maxTokens = json.integer("max_tokens", 1, Integer.MAX_VALUE);
    json.unsupportedUnless("echo", BooleanNode.FALSE);
    json.unsupportedUnless("best_of", IntNode.valueOf(1));
    json.unsupportedUnless("suffix", NODES.textNode(""));
    JsonNode logprobs = json.node("logprobs");
    if (logprobs != null) {
      throw json.unsupported("logprobs", logprobs, "log probabilities are not returned");
    }
    return common(json, model, prompt, maxTokens);
  }

  private static OpenAiRequest common(
      JsonBody json, String model, PromptInput input, Long maxTokens) {
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
    json.unsupportedUnless("logit_bias", NODES.objectNode());
    String user = json.boundedString("user", OpenAiRequest.MAX_END_USER_CHARS);
    ignoredButChecked(json);
    json.rejectUnread();
    return new OpenAiRequest(
        model,
        input,
        maxTokens == null ? 0 : maxTokens.intValue(),
        temperature == null ? 1.0 : temperature,
        topP == null ? 1.0 : topP,
        seed,
        stop,
        user,
        Boolean.TRUE.equals(stream),
        includeUsage);
  }

  /** Parameters that change nothing in the output: type-checked, then ignored. */
  private static void ignoredButChecked(JsonBody json) {
    json.bool("store"); // whether OpenAI keeps the completion; this gateway keeps none
    json.boundedString("service_tier", 32); // a billing tier; there is one here
    json.boundedString("safety_identifier", OpenAiRequest.MAX_END_USER_CHARS);
    json.boundedString("prompt_cache_key", 1024); // prefix caching here is automatic
    JsonNode metadata = json.node("metadata");
    if (metadata != null && !metadata.isObject()) {
      throw json.typeError("metadata", "an object", metadata);
    }
  }

  /**
   * The legacy {@code function_call}: {@code "none"}, or {@code "auto"} (with no functions, none).
   */
  private static void functionCall(JsonBody json) {
    JsonNode choice = json.node("function_call");
    if (choice != null
        && !(choice.isTextual()
            && (choice.textValue().equals("none") || choice.textValue().equals("auto")))) {
      throw json.unsupported(
          "function_call", choice, "use 'tools' and 'tool_choice'; only \"none\" or \"auto\" is");
    }
  }

  /** The messages with their content as text; the array itself goes into {@code body} verbatim. */
  private static List<ChatMessage> messages(
      JsonBody json, ObjectNode body, List<String> upstreamOnly) {
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
                + ".role' must be one of system, developer, user, assistant, tool; was '"
                + (roleName.length() > 32 ? roleName.substring(0, 32) + "..." : roleName)
                + "'");
      }
      boolean toolCalls = role == Role.ASSISTANT && toolCalls(msg, upstreamOnly);
      if (role == Role.TOOL) {
        msg.requiredString("tool_call_id");
        upstreamOnly.add(param);
      }
      if (role == Role.ASSISTANT) {
        msg.string("refusal"); // a refusal the model gave earlier; carried to upstreams as sent
      }
      String content = content(msg, toolCalls, upstreamOnly);
      String name = msg.boundedString("name", ChatMessage.MAX_NAME_CHARS);
      if (name != null && name.isBlank()) {
        throw MeshException.invalid(param + ".name", "'" + param + ".name' must not be blank");
      }
      msg.rejectUnread();
      messages.add(new ChatMessage(role, content, name));
    }
    body.set("messages", n);
    return messages;
  }

  /**
   * An assistant message's {@code tool_calls} (the calls the model made earlier): whether it has
   * any, each {@code {"id":...,"type":"function","function":{"name":...,"arguments":...}}}.
   */
  private static boolean toolCalls(JsonBody msg, List<String> upstreamOnly) {
    JsonNode calls = msg.node("tool_calls");
    if (calls == null) {
      return false;
    }
    String param = msg.param("tool_calls");
    if (!calls.isArray()) {
      throw msg.typeError("tool_calls", "an array of tool calls", calls);
    }
    for (int j = 0; j < calls.size(); j++) {
      JsonNode call = calls.get(j);
      JsonNode function = call.path("function");
      if (!call.path("id").isTextual()
          || !function.path("name").isTextual()
          || !function.path("arguments").isTextual()) {
        throw MeshException.invalid(
            param + "[" + j + "]",
            "'"
                + param
                + "["
                + j
                + "]' must be {\"id\":...,\"type\":\"function\",\"function\":{\"name\":...,"
                + "\"arguments\":...}}");
      }
    }
    if (!calls.isEmpty()) {
      upstreamOnly.add(param);
    }
    return !calls.isEmpty();
  }

  /**
   * A message's content as text: a string, or an array of parts whose {@code text} parts are
   * joined. Image, audio and file parts are kept for upstreams (and noted in {@code upstreamOnly});
   * an assistant message that made tool calls may have no content.
   */
  private static String content(JsonBody msg, boolean toolCalls, List<String> upstreamOnly) {
    JsonNode c = msg.node("content");
    String param = msg.param("content");
    if (c == null) {
      if (toolCalls) {
        return "";
      }
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
      switch (type) {
        case "text", "refusal" -> text.append(p.requiredString(type));
        case "image_url", "input_audio", "file" -> {
          JsonNode value = p.node(type);
          if (value == null || !value.isObject()) {
            throw MeshException.invalid(
                partParam + "." + type, "'" + partParam + "." + type + "' must be an object");
          }
          upstreamOnly.add(partParam);
        }
        default ->
            throw new MeshException(
                dev.coemesh.core.error.ErrorCode.UNSUPPORTED_PARAMETER,
                "content parts of type '"
                    + (type.length() > 32 ? type.substring(0, 32) + "..." : type)
                    + "' are not supported; only text, image_url, input_audio and file",
                partParam + ".type",
                null);
      }
      p.rejectUnread();
    }
    return text.toString();
  }

  /**
   * A completion prompt: a string or an array of exactly one string. OpenAI's other forms, a batch
   * of prompts and prompts as token ids, are refused saying which one was sent.
   */
  private static String prompt(JsonBody json) {
    JsonNode p = json.node("prompt");
    if (p == null) {
      throw MeshException.invalid("prompt", "missing required parameter 'prompt'");
    }
    if (p.isTextual()) {
      return p.textValue();
    }
    if (!p.isArray()) {
      throw json.typeError("prompt", "a string or an array of one string", p);
    }
    if (p.size() == 1 && p.get(0).isTextual()) {
      return p.get(0).textValue();
    }
    if (p.isEmpty()) {
      throw MeshException.invalid("prompt", "'prompt' is an empty array; send one prompt");
    }
    boolean strings = true;
    boolean tokens = true;
    for (JsonNode e : p) {
      strings &= e.isTextual();
      tokens &= e.isIntegralNumber() || e.isArray();
    }
    String what =
        strings
            ? "a batch of " + p.size() + " prompts is not supported; send one prompt per request"
            : tokens
                ? "prompts as token ids are not supported; send the prompt as text"
                : "'prompt' must be a string or an array of one string";
    if (!strings && !tokens) {
      throw MeshException.invalid("prompt", what);
    }
    throw new MeshException(
        dev.coemesh.core.error.ErrorCode.UNSUPPORTED_PARAMETER,
        "'prompt': " + what,
        "prompt",
        null);
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
